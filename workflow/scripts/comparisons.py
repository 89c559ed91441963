"""Rule comparisons: every comparison of the README and claims.md with a 95 % interval and a test, on
the seeds and, where config seeds_b gives a second set, on that set and on both."""

from depthstudy import comparisons, io, tables
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = io.with_second_set(io.read_frames({k: sm.input[k] for k in ("metrics", "cnn")}), sm.input, sm.params.seeds_b)
reference = tables.load_reference(sm.input.reference).set_index(["exercise", "metric"]).value
# the report's CNN ran on MNIST: beside another data set's CNN it is no baseline
report_cnn = None if sm.params.report_suffix else float(reference[("ex3", "test_accuracy")])
table = comparisons.stable_comparisons(
    frames["metrics"], sm.params.deepest, sm.params.seeds, sm.params.seeds_b, cnn=frames["cnn"],
    report_cnn=report_cnn, settings=sm.params.settings, resolution=comparisons.resolution(sm.input.data),
)  # fmt: skip
io.write_csv(table, sm.output.csv)
io.write_text(comparisons.comparisons_markdown(table, sm.params.dataset), sm.output.md)
