"""Rule claims_table: the report's explanations against the measurements (results/tables/claims.*)."""

import pandas as pd

from depthstudy.claims import claims_markdown, claims_table
from depthstudy.io import as_list, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = {name: pd.concat(map(pd.read_csv, as_list(sm.input[name]))) for name in sm.input.keys()}
table = claims_table(frames["metrics"], frames["activations"], frames["gradients"])
write_csv(table, sm.output.csv)
write_text(claims_markdown(table), sm.output.md)
