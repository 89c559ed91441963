"""Rules tensorboard_mlp and tensorboard_cnn: TensorBoard runs of an exercise's jobs, from their CSVs.

Not called tensorboard.py: rule scripts sit on sys.path, where that name would hide the tensorboard package.
"""

import logging

from depthstudy.io import read_frames
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))  # before TensorFlow loads: its C++ output goes to the log

from depthstudy.tensorboard_runs import export  # noqa: E402

frames = read_frames(sm.input)
runs = export(sm.output[0], **frames)
logging.getLogger("depthstudy").info("%d runs in %s", len(runs), sm.output[0])
