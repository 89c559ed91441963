"""Table rules: summarise combined CSVs into results/tables/*.csv and *.md."""

import pandas as pd

from depthstudy import experiments, markdown, tables
from depthstudy.io import as_list, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
reference = tables.load_reference(sm.input.reference)
metrics = pd.concat(map(pd.read_csv, as_list(sm.input.metrics)))
title = sm.params.title
if sm.params.kind == "cnn":
    table = tables.cnn_table(metrics, reference)
else:
    table = tables.metrics_table(metrics, reference, sm.params.exercise)
    title += ": " + experiments.heading(sm.params.exercise, sm.params.settings, sm.params.defaults)
write_csv(table, sm.output.csv)
# the report's columns are MNIST's; beside another data set's results their headings say so
columns = {k: v + sm.params.report_suffix if k.startswith("report_") else v for k, v in tables.MD_COLUMNS.items()}
write_text(markdown.frame_table(table, columns, title=title), sm.output.md)
