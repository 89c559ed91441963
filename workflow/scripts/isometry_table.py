"""Rule isometry_table: steps to the target accuracy, orthogonal against Gaussian weights, per depth."""

import pandas as pd

from depthstudy import isometry
from depthstudy.io import as_list, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
settings = sm.params.settings
nets = pd.concat(map(pd.read_csv, as_list(sm.input.nets)), ignore_index=True)
table = isometry.speed_table(nets, settings["target_accuracy"], settings["snapshots"])
write_csv(table, sm.output.csv)
write_text(isometry.isometry_markdown(table, settings, sm.params.sigma_w2, sm.params.dataset), sm.output.md)
