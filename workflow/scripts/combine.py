"""Combine rules: concatenate per-job CSVs, tagging rows with their job's wildcards."""

from depthstudy.io import as_list, setup_logging, write_csv
from depthstudy.tables import combine

sm = snakemake  # noqa: F821 (injected by Snakemake)
setup_logging(sm.log[0])
for name in sm.output.keys():
    write_csv(combine(as_list(sm.input[name])), sm.output[name])
