"""Rule train_mlp: one fully connected network, one seed."""

from depthstudy.data import load_prepared
from depthstudy.io import setup_logging, write_csv
from depthstudy.training import train_mlp

sm = snakemake  # noqa: F821 (injected by Snakemake)
setup_logging(sm.log[0])
frames = train_mlp(
    load_prepared(sm.input.mnist),
    exercise=sm.wildcards.exercise,
    activation=sm.wildcards.activation,
    depth=int(sm.wildcards.depth),
    seed=int(sm.wildcards.seed),
    settings=sm.params.settings,
    probe_size=sm.params.probe["size"],
    probe_seed=sm.params.probe["seed"],
    threads=sm.threads,
)
# metrics.csv last: a later rule that sees it may rely on the other three.
for name in ("history", "gradients", "activations", "metrics"):
    write_csv(frames[name], sm.output[name])
