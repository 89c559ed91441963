"""Rule train_isometry: one depth, one seed, the critical net with Gaussian and with orthogonal weights."""

from depthstudy.logs import finish_job, job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before TensorFlow loads: its C++ output goes to the log
start_job(sm.log[0], job_name(sm.rule, sm.wildcards, sm.params.dataset))

from depthstudy.data import load_prepared  # noqa: E402
from depthstudy.io import write_csv  # noqa: E402
from depthstudy.phase_training import train_row  # noqa: E402

arrays = load_prepared(sm.input.data)
depth, seed = int(sm.wildcards.depth), int(sm.wildcards.seed)
for weights, path in zip(sm.params.weights, sm.output.nets, strict=True):
    keys = dict(exercise="isometry", depth=depth, seed=seed)
    (frame,) = train_row(
        arrays,
        depth=depth,
        seed=seed,
        sigma_w2s=[sm.params.sigma_w2],
        settings=sm.params.settings,
        threads=sm.threads,
        device=sm.resources.device,
        weights=weights,
        keys=keys,
        rule=sm.rule,
    ).values()
    frame.insert(frame.columns.get_loc("sigma_w2"), "weights", weights)
    frame.insert(0, "dataset", sm.params.dataset)
    write_csv(frame, path)
finish_job()
