"""Rule class_shares: images per class in the prepared data (the figures' chance line)."""

from depthstudy.data import class_shares, load_prepared
from depthstudy.io import write_csv
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
write_csv(class_shares(load_prepared(sm.input.npz), sm.params.classes), sm.output[0])
