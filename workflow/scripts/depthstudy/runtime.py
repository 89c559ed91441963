"""TensorFlow's run-time set-up for one training job: threads, determinism, seeds, the device."""

from __future__ import annotations

import logging
import os

import keras
import tensorflow as tf

log = logging.getLogger(__name__)


def configure_tensorflow(threads: int, seed: int) -> str:
    """Thread pools, determinism, GPU memory growth and seeds; call before any other TF op.

    Returns the device that will train, for the log and ``metrics.csv``.
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # a second job in one process (tests, benchmark): pools are fixed by then
        log.info("TensorFlow already initialised; keeping its thread pools")
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    device = "GPU:0" if gpus else "CPU"
    log.info("device %s, %d thread(s), seed %d, GPUs visible: %s", device, threads, seed, gpus)
    if "SLURM_JOB_ID" in os.environ:
        log.info(
            "slurm job %s on %s, CUDA_VISIBLE_DEVICES=%s",
            os.environ["SLURM_JOB_ID"],
            os.environ.get("SLURMD_NODENAME", "?"),
            os.environ.get("CUDA_VISIBLE_DEVICES"),
        )
    return device
