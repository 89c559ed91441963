"""Rule theory_profiles: the mean-field prediction of every net of the config, on the probe batch."""

from depthstudy.data import load_prepared, probe_indices
from depthstudy.io import write_csv
from depthstudy.logs import job_name, start_job
from depthstudy.theory_vs_measured import profiles

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
x_train = load_prepared(sm.input.data)["x_train"]
probe = x_train[probe_indices(len(x_train), sm.params.probe["size"], sm.params.probe["seed"])]
pixels = probe.reshape(len(probe), -1).astype("float64") / 255.0  # as the networks see them
profile, scales = profiles(sm.params.nets, (pixels**2).sum(axis=1))
write_csv(profile, sm.output.profiles)
write_csv(scales, sm.output.scales)
