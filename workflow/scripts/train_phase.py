"""Rule train_phase: one depth of the phase diagram, one seed, every sigma_w^2 of the grid."""

from depthstudy.logs import finish_job, job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before TensorFlow loads: its C++ output goes to the log
start_job(sm.log[0], job_name(sm.rule, sm.wildcards, sm.params.dataset))

from depthstudy.data import load_prepared  # noqa: E402
from depthstudy.io import write_csv  # noqa: E402
from depthstudy.phase_training import train_row  # noqa: E402

frames = train_row(
    load_prepared(sm.input.data),
    depth=int(sm.wildcards.depth),
    seed=int(sm.wildcards.seed),
    sigma_w2s=sm.params.sigma_w2,
    settings=sm.params.settings,
    threads=sm.threads,
    device=sm.resources.device,
)
for sigma_w2, path in zip(sm.params.sigma_w2, sm.output.nets, strict=True):
    frame = frames[sigma_w2]
    frame.insert(0, "dataset", sm.params.dataset)
    write_csv(frame, path)
finish_job()
