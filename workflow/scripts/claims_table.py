"""Rule claims_table: the report's explanations against the measurements (results/tables/claims.*)."""

from depthstudy.claims import claims_markdown, claims_table
from depthstudy.comparisons import comparisons_table
from depthstudy.io import read_frames, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = read_frames(sm.input)
compared = comparisons_table(frames["metrics"], sm.params.deepest)
table = claims_table(frames["metrics"], frames["activations"], frames["gradients"], compared, sm.params.deepest)
write_csv(table, sm.output.csv)
write_text(claims_markdown(table, sm.params.dataset), sm.output.md)
