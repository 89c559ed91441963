"""Rule train_cnn: the report's CNN for one seed, resumable after a kill."""

import shutil

from depthstudy.logs import finish_job, job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before TensorFlow loads: its C++ output goes to the log
start_job(sm.log[0], job_name(sm.rule, sm.wildcards, sm.params.dataset))

from depthstudy.data import load_prepared  # noqa: E402
from depthstudy.io import atomic_path, write_csv, write_text  # noqa: E402
from depthstudy.jobs import train_cnn  # noqa: E402

result = train_cnn(
    load_prepared(sm.input.data),
    seed=int(sm.wildcards.seed),
    settings=sm.params.settings,
    checkpoint_dir=sm.params.checkpoint_dir,
    threads=sm.threads,
    device=sm.resources.device,
)
with atomic_path(sm.output.model) as tmp:
    result["model"].save(tmp)
write_text(result["summary"], sm.output.summary)
write_csv(result["history"], sm.output.history)
result["metrics"].insert(0, "dataset", sm.params.dataset)
write_csv(result["metrics"], sm.output.metrics)
shutil.rmtree(sm.params.checkpoint_dir, ignore_errors=True)
finish_job()
