"""Rule train_mlp: one cell of an exercise's grid (activation, depth), every seed, in one process."""

import hashlib
import re
from pathlib import Path

from depthstudy.logs import finish_job, job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before TensorFlow loads: its C++ output goes to the log
start_job(sm.log[0], job_name(sm.rule, sm.wildcards, sm.params.dataset))

from depthstudy.checkpoint import FinishedNets  # noqa: E402
from depthstudy.data import load_prepared  # noqa: E402
from depthstudy.io import as_list  # noqa: E402
from depthstudy.jobs import train_mlp_cell  # noqa: E402

# The seeds are the outputs' (config `seeds`), read from their folders: not a param, so that removing a
# seed from the config leaves the other seeds' nets alone. The kinds of file come in the rule's order
# (common.smk's MLP_FILES), metrics.csv last: a later rule that sees it may rely on the other three.
outputs = {int(re.fullmatch(r"seed(\d+)", Path(path).parent.name)[1]): {} for path in as_list(sm.output.metrics)}
for kind in sm.output.keys():
    for seed, path in zip(outputs, as_list(sm.output[kind]), strict=True):
        outputs[seed][kind] = path

finished = FinishedNets(
    sm.params.resume_dir,
    tag=dict(
        settings=sm.params.settings,
        probe=sm.params.probe,
        dataset=sm.params.dataset,
        code=sm.params.code,
        data=hashlib.sha256(Path(sm.input.data).read_bytes()).hexdigest(),
    ),
)
todo = [seed for seed in outputs if not finished.has(seed)]
nets = train_mlp_cell(
    load_prepared(sm.input.data),
    exercise=sm.wildcards.exercise,
    activation=sm.wildcards.activation,
    depth=int(sm.wildcards.depth),
    seeds=todo,
    settings=sm.params.settings,
    probe_size=sm.params.probe["size"],
    probe_seed=sm.params.probe["seed"],
    threads=sm.threads,
    device=sm.resources.device,
)
for seed, frames in nets:
    frames["metrics"].insert(0, "dataset", sm.params.dataset)
    finished.save(seed, frames)
for seed, files in outputs.items():
    finished.deliver(seed, files)
finished.remove()
finish_job()
