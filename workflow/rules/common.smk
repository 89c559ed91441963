# Helpers for every stage: the data set, the grid, the input functions that refuse targets outside it,
# each rule's code version. The logic behind them is depthstudy.pipeline and .code_version, tested.

import os
from functools import partial
from pathlib import Path

from depthstudy import pipeline
from depthstudy.code_version import code_hash
from depthstudy.names import GRID, HE_CURE, LECUN, UNTRAINED
from depthstudy.pipeline import ConfigError
from depthstudy.resources import workflow_value

# This workflow's own folder (workflow/), wherever Snakemake runs: in the checkout, or in another
# folder that uses it as a module. Paths into it are made from here, never from the working directory.
WORKFLOW_DIR = Path(workflow.current_basedir).parent

EXERCISES = config["exercises"]
try:
    pipeline.check_config(config)
    DATA = pipeline.data_set(config, workflow_value("resources/datasets.yaml"))
except ConfigError as error:
    raise SystemExit(f"{error} (config: {CONFIG_FILES})")
# resolved, for the HTML report's front page, which sees only the config
config["dataset_name"] = DATA["name"]
# Where this run's files go: results/ for MNIST, results/<key>/ for any other set, so that the study
# of one data set never overwrites another's. The same tree inside.
RESULTS = "results" if DATA["key"] == "mnist" else f"results/{DATA['key']}"
# The data folder as one path however it was written (trailing slash, relative, through a link), so
# that writing it another way reruns nothing.
DATA_DIR = os.path.realpath(config["data_dir"]) if config["data_dir"] else None


def results(path):
    """``path`` inside this run's results folder."""
    return f"{RESULTS}/{path}"


# What the training rules book: the measured peak of one job (benchmarks/job_sizes.py) times a
# margin, and on a retry `attempt` times that (pipeline.booked).
JOB_SIZES = workflow_value("resources/job_sizes.yaml")


def booked(rule, resource, nets=1):
    """A resource function of `attempt` for one job of `rule` that trains `nets` nets."""
    return lambda wildcards, attempt: pipeline.booked(
        JOB_SIZES[rule], resource, nets, JOB_SIZES["margin"], attempt
    )


# The training jobs' environment under --sdm conda: TensorFlow's CUDA build with device gpu.
TRAINING_ENV = f"../../envs/training{'-gpu' if config['device'] == 'gpu' else ''}.yaml"

# Any name that an exercise or activation could have, so that a misspelt one reaches the input
# functions below, whose error lists the configured names (not Snakemake's bare "No rule to produce").
EXERCISE_NAME = rf"(?!(?:{'|'.join(pipeline.RESERVED)})(?:[/.]|$))[a-z][a-z0-9_]*"
ACTIVATION_NAME = r"[a-z][a-z0-9_]*"

# The MLPs' seeds, the same for every exercise: one job trains all the seeds of a grid cell.
SEEDS = config["seeds"]
# A second, disjoint set of seeds for the stability of the verdicts (claims.smk); [] when there is none.
SEEDS_B = config.get("seeds_b") or []
# A trained MLP's files, in the order its job writes them (metrics.csv last), and its folder.
MLP_FILES = ("history", "gradients", "activations", "metrics")
MLP_NET = "{exercise}/{activation}/depth{depth}/seed{seed}"


def mlp_file(kind):
    """The pattern of one kind of per-net MLP file."""
    return results(f"{MLP_NET}/{kind}.csv")


def mlp_cell_files(kind, seeds=None):
    """One kind of per-net file of every seed of a cell (``seeds``, by default `seeds`): the outputs of
    one training job."""
    return expand(
        mlp_file(kind),
        exercise="{exercise}",
        activation="{activation}",
        depth="{depth}",
        seed=SEEDS if seeds is None else seeds,
    )


# the config's labels and settings (depthstudy.pipeline), as the rule files call them
exercise_settings = partial(pipeline.exercise_settings, config)
changed_settings = partial(pipeline.changed_settings, config)
setting_label = partial(pipeline.setting_label, config)
train_note = partial(pipeline.train_note, config)
cnn_settings = partial(pipeline.cnn_settings, config)
cnn_recipe = partial(pipeline.cnn_recipe, config)


def mlp_outputs(kind, exercise, depth=None, seeds=None):
    """Per-job files of one kind (metrics, history, gradients, activations) of an exercise, of
    ``seeds`` (by default `seeds`)."""
    ex = pipeline.exercise(config, exercise, CONFIG_FILES)
    depths = ex["depths"] if depth is None else [depth]
    return expand(
        mlp_file(kind),
        exercise=exercise,
        activation=ex["activations"],
        depth=depths,
        seed=SEEDS if seeds is None else seeds,
    )


def seeds_b_files(kind, exercises, depth=None):
    """The second seed set's per-net files of one kind of ``exercises`` (all depths, or ``depth``):
    what the tables that check their verdicts' stability read besides the first set's ([] without
    seeds_b)."""
    return [
        path
        for ex in exercises
        for path in (mlp_outputs(kind, ex, depth, seeds=SEEDS_B) if SEEDS_B else [])
    ]


def data_for_cnn(wildcards):
    pipeline.check_cnn_seed(config, int(wildcards.seed), CONFIG_FILES)
    return rules.prepare_data.output.npz


def data_in_grid(w):
    pipeline.check_grid(config, w.exercise, w.activation, int(w.depth), CONFIG_FILES)
    return rules.prepare_data.output.npz


# the input of unknown_target (targets.smk): a bare name that is neither a rule nor a file
def no_target(wildcards):
    if not os.path.exists(wildcards.name):
        nameable = [r.name for r in workflow.rules if not r.has_wildcards()]
        named = [r.name for r in workflow.rules if not r.output]
        pipeline.unknown_target(wildcards.name, named, nameable)
    return []


# The trainability phase diagram's block (phase.smk; None turns it off), its sigma_w2 as in file names
PHASE = config.get("phase")
PHASE_LABELS = [f"{value:g}" for value in PHASE["sigma_w2"]] if PHASE else []
ISOMETRY = config.get("isometry")
ISOMETRY_WEIGHTS = ["gaussian", "orthogonal"]
# the order-to-chaos boundary at the block's sigma_b2, where the theory puts the isometric nets
ISOMETRY_SIGMA_W2 = None
if ISOMETRY:
    # numpy and scipy at start-up only where they are asked for
    from depthstudy.theory import critical_sigma_w2

    ISOMETRY_SIGMA_W2 = critical_sigma_w2(ISOMETRY["activation"], ISOMETRY["sigma_b2"])


PLOT = config["plot"]
FIG = results("figures")


def depth_figures(name, exercise):
    return expand(
        f"{FIG}/{name}_depth{{depth}}.png", depth=EXERCISES[exercise]["depths"]
    )


# The schema requires the report's exercises and the two cures that claims.md reads; any other
# cure_* block joins the cures figure. DEEPEST: where claims.md and the cures compare networks.
DEEPEST = pipeline.deepest(config)
CURES = [name for name in EXERCISES if name.startswith("cure_")]
# the exercises with orthogonal weights: the Jacobian figure sets them beside i.i.d. nets at the same
# sigma_w^2, so without one there is no figure (the Jacobian table still covers every net)
ORTHOGONAL = [
    name
    for name in EXERCISES
    if pipeline.exercise_settings(config, name)["initializer"] == "orthogonal"
]


def combined(kind, exercise, depths):
    return expand(
        getattr(rules.combine_probe.output, kind), exercise=exercise, depth=depths
    )


def all_probe(kind):
    """The combined probe statistics of every exercise and depth."""
    return [
        path for ex in EXERCISES for path in combined(kind, ex, EXERCISES[ex]["depths"])
    ]


TABLE_NAME = pipeline.table_names(EXERCISES)
TABLE_EXERCISE = {table: ex for ex, table in TABLE_NAME.items()}


def table_files(name):
    """A table's two outputs: the CSV (in the HTML report) and its Markdown twin."""
    return dict(
        csv=report(
            results(f"tables/{name}.csv"),
            caption="../report/table.rst",
            category="Tables",
        ),
        md=results(f"tables/{name}.md"),
    )


def table_md(exercise):
    """The Markdown table of an exercise's test metrics."""
    return expand(rules.metrics_table.output.md, table=TABLE_NAME[exercise])


REFERENCE = os.path.relpath(WORKFLOW_DIR / "resources" / "report_values.csv")
# The report's numbers are MNIST's: beside another data set's results, their labels say so.
REPORT_SUFFIX = "" if DATA["key"] == "mnist" else " (MNIST)"
REPORT_LABEL = f"the report{REPORT_SUFFIX}"
