"""Combine rules: concatenate per-job CSVs, tagging rows with their job's wildcards."""

from depthstudy.io import as_list, write_csv
from depthstudy.logs import job_name, start_job
from depthstudy.tables import combine

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
for name in sm.output.keys():
    write_csv(combine(as_list(sm.input[name])), sm.output[name])
