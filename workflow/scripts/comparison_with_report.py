"""Rule comparison_with_report: every number of the report beside the pipeline's mean ± sd."""

import pandas as pd

from depthstudy import tables
from depthstudy.io import as_list, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
mlp = pd.concat(map(pd.read_csv, as_list(sm.input.mlp)))
cnn = pd.concat(map(pd.read_csv, as_list(sm.input.cnn))) if sm.input.get("cnn") else None
reference = tables.load_reference(sm.input.reference)
data = dict(dataset=sm.params.dataset, report_suffix=sm.params.report_suffix)
table = tables.comparison_with_report(reference, mlp, cnn, sm.params.settings, **data)
write_csv(table, sm.output.csv)
write_text(tables.comparison_markdown(table, **data), sm.output.md)
