# The depth and activation study: a student report on deep networks and MNIST, rebuilt as a workflow.
# Rules live in workflow/rules/, one file per stage; this file only wires them together.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


# the config typed and checked against workflow/schemas/config.schema.yaml
include: "workflow/rules/config.smk"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    exercise=EXERCISE_NAME,
    activation=ACTIVATION_NAME,
    depth=r"\d+",
    seed=r"\d+",


include: "workflow/rules/data.smk"
include: "workflow/rules/mlp.smk"
include: "workflow/rules/cnn.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/phase.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/tensorboard.smk"
include: "workflow/rules/console.smk"


# Only data preparation and training go to a cluster: every other rule reads small CSVs and says
# `localrule: True` in its own body.


rule all:
    default_target: True
    input:
        rules.ex1b.input,
        rules.ex1c.input,
        rules.ex1d.input,
        rules.ex3.input,
        rules.theory.input,
        rules.claims.input,
        rules.comparison_with_report.output,
        rules.comparisons.output,
        rules.experiments.output,
        rules.tensorboard.input if config["tensorboard"] else [],
        rules.phase.input if PHASE else [],
        rules.isometry.input if ISOMETRY else [],
    localrule: True


# The closing message: where the results are and the report's command, or the failed jobs' logs.
onsuccess:
    closing_success()


onerror:
    closing_error()
