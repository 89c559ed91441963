"""Rule experiments: every exercise block side by side, results/tables/experiments.csv, .md and .html."""

import pandas as pd

from depthstudy import experiments
from depthstudy.io import as_list, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
metrics = pd.concat(map(pd.read_csv, as_list(sm.input.metrics)), ignore_index=True)
table = experiments.experiments_table(metrics, sm.params.settings, sm.params.defaults)
write_csv(table, sm.output.csv)
write_text(experiments.experiments_markdown(table, sm.params.dataset, sm.params.defaults), sm.output.md)
write_text(experiments.experiments_html(table, sm.params.dataset, sm.params.defaults), sm.output.html)
