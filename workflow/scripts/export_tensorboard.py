"""Rules tensorboard_mlp and tensorboard_cnn: TensorBoard runs of an exercise's jobs, from their CSVs.

Not called tensorboard.py: rule scripts sit on sys.path, where that name would hide the tensorboard package.
"""

import logging

import pandas as pd

from depthstudy.io import as_list
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))  # before TensorFlow loads: its C++ output goes to the log

from depthstudy.tensorboard_runs import export  # noqa: E402

frames = {name: pd.concat(map(pd.read_csv, as_list(sm.input[name]))) for name in sm.input.keys()}
runs = export(sm.output[0], **frames)
logging.getLogger("depthstudy").info("%d runs in %s", len(runs), sm.output[0])
