"""Rule comparisons: every comparison of the README and claims.md with a 95 % interval and a test."""

from depthstudy import comparisons, tables
from depthstudy.io import read_frames, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = read_frames({k: sm.input[k] for k in ("metrics", "cnn")})
reference = tables.load_reference(sm.input.reference).set_index(["exercise", "metric"]).value
# the report's CNN ran on MNIST: beside another data set's CNN it is no baseline
report_cnn = None if sm.params.report_suffix else float(reference[("ex3", "test_accuracy")])
table = comparisons.comparisons_table(
    frames["metrics"], sm.params.deepest, cnn=frames["cnn"], report_cnn=report_cnn, settings=sm.params.settings
)
write_csv(table, sm.output.csv)
write_text(comparisons.comparisons_markdown(table, sm.params.dataset), sm.output.md)
