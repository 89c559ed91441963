"""Rule train_mlp: one fully connected network, one seed."""

from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))  # before TensorFlow loads: its C++ output goes to the log

from depthstudy.data import load_prepared  # noqa: E402
from depthstudy.io import write_csv  # noqa: E402
from depthstudy.jobs import train_mlp  # noqa: E402

frames = train_mlp(
    load_prepared(sm.input.data),
    exercise=sm.wildcards.exercise,
    activation=sm.wildcards.activation,
    depth=int(sm.wildcards.depth),
    seed=int(sm.wildcards.seed),
    settings=sm.params.settings,
    probe_size=sm.params.probe["size"],
    probe_seed=sm.params.probe["seed"],
    threads=sm.threads,
    device=sm.resources.device,
)
frames["metrics"].insert(0, "dataset", sm.params.dataset)
# metrics.csv last: a later rule that sees it may rely on the other three.
for name in ("history", "gradients", "activations", "metrics"):
    write_csv(frames[name], sm.output[name])
