"""Rule theory_vs_measured: predicted against measured log10 ratios, one row per net."""

from depthstudy import theory_vs_measured
from depthstudy.io import read_frames, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
f = read_frames(sm.input)
table = theory_vs_measured.table(f["profiles"], f["scales"], f["gradients"], f["activations"], f["metrics"])
write_csv(table, sm.output.csv)
residual = theory_vs_measured.residual_laws(table, f["profiles"], f["gradients"], f["activations"])
markdown = theory_vs_measured.theory_vs_measured_markdown(table, sm.params.dataset)
write_text(markdown + theory_vs_measured.residual_markdown(*residual), sm.output.md)
