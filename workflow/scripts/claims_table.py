"""Rule claims_table: the report's explanations against the measurements (results/tables/claims.*),
on the seeds and, where config seeds_b gives a second set, on that set and on both."""

from depthstudy import io
from depthstudy.claims import claims_markdown, stable_claims
from depthstudy.comparisons import resolution
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = io.read_frames({k: sm.input[k] for k in ("metrics", "activations", "gradients")})
frames = io.with_second_set(frames, sm.input, sm.params.seeds_b)
table = stable_claims(
    frames, sm.params.deepest, sm.params.seeds, sm.params.seeds_b, resolution(sm.input.data), batch=sm.params.batch
)
io.write_csv(table, sm.output.csv)
io.write_text(claims_markdown(table, sm.params.dataset), sm.output.md)
