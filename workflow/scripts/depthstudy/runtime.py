"""TensorFlow's run-time set-up for one training job: threads, determinism, seeds, the device.

The device policy (config key ``device``, a resource of the training rules that the Slurm profile
sets to ``gpu``):

- ``cpu``: train on the CPU even where a GPU is visible;
- ``gpu``: train on a GPU, or stop at once with an error that says what the job was given and how to
  fix it. A job on a GPU node never trains for hours on its CPU by mistake;
- ``auto``: a GPU if TensorFlow sees one, else the CPU; a job that was given a GPU that TensorFlow
  cannot use says so in a warning.
"""

from __future__ import annotations

import logging
import os

import keras
import tensorflow as tf

log = logging.getLogger(__name__)

POLICIES = ("auto", "cpu", "gpu")

# Where a job learns that it was given GPUs: Slurm's variables, and CUDA's device list.
GPU_VARIABLES = ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS", "SLURM_STEP_GPUS", "SLURM_GPUS_ON_NODE")
# CUDA_VISIBLE_DEVICES values that hide every GPU.
NO_GPU = ("", "-1", "none", "NoDevFiles")

INSTALL_FIX = (
    "pip install -r requirements-gpu.txt, or with --sdm conda add --config device=gpu, which picks "
    "envs/training-gpu.yaml (docs/cluster.md)"
)


class DeviceError(RuntimeError):
    """The device policy cannot be met: raised before any data is trained on."""


def gpu_grant(environ=os.environ) -> dict[str, str]:
    """The variables that say which GPUs this process was given, as they are set."""
    return {name: environ[name] for name in GPU_VARIABLES if name in environ}


def was_given_gpu(grant: dict[str, str]) -> bool:
    """Whether the variables name at least one GPU (Slurm's lists hold GPU indexes, so "0" is one)."""
    if grant.get("CUDA_VISIBLE_DEVICES", "").strip() not in NO_GPU:
        return True
    if grant.get("SLURM_JOB_GPUS", "").strip() or grant.get("SLURM_STEP_GPUS", "").strip():
        return True
    count = grant.get("SLURM_GPUS_ON_NODE", "0").strip()
    return count.isdigit() and int(count) > 0


def describe_grant(grant: dict[str, str]) -> str:
    if not grant:
        return "no GPU (none of " + ", ".join(GPU_VARIABLES) + " is set)"
    return ", ".join(f"{name}={value}" for name, value in grant.items())


def no_gpu_reason() -> str:
    """Why TensorFlow sees no GPU, as far as it can tell, and the fix."""
    if not tf.test.is_built_with_cuda():
        return (
            f"TensorFlow {tf.__version__} is built without CUDA (the CPU package); install the GPU set: {INSTALL_FIX}"
        )
    return (
        f"TensorFlow {tf.__version__} has CUDA but found no usable GPU: check `nvidia-smi` on the node and "
        f"the CUDA libraries ({INSTALL_FIX})"
    )


def choose_device(policy: str, job: str = "this job") -> str:
    """Apply the device policy; returns "GPU:0" or "CPU". Call before any other TF op."""
    if policy not in POLICIES:
        raise ValueError(f"device must be one of {', '.join(POLICIES)}, not {policy!r}")
    grant = gpu_grant()
    gpus = tf.config.list_physical_devices("GPU")
    if policy == "cpu":
        if gpus:
            tf.config.set_visible_devices([], "GPU")
        return "CPU"
    if gpus:
        for gpu in gpus:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # a second job in one process: already set
                pass
        return "GPU:0"
    if policy == "gpu":
        raise DeviceError(
            f"{job}: device is 'gpu' but TensorFlow sees no GPU. This job was given {describe_grant(grant)}. "
            f"{no_gpu_reason()}. Or set device: auto to let it train on the CPU."
        )
    if not was_given_gpu(grant):
        log.info(
            "TensorFlow sees no GPU and this job was given %s: it trains on the CPU (TensorFlow %s, %s)",
            describe_grant(grant),
            tf.__version__,
            "built with CUDA" if tf.test.is_built_with_cuda() else "the CPU build",
        )
    else:
        log.warning(
            "this job was given a GPU (%s) that TensorFlow cannot use, so it trains on the CPU. %s",
            describe_grant(grant),
            no_gpu_reason(),
        )
    return "CPU"


def booked_cpus(environ=os.environ) -> int | None:
    """The CPUs that Slurm granted this job (or its step), if it runs under Slurm."""
    for name in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"):
        if environ.get(name, "").isdigit():
            return int(environ[name])
    return None


def configure_tensorflow(threads: int, seed: int, device: str = "auto", job: str = "this job") -> str:
    """Device policy, thread pools, determinism and seeds; call before any other TF op.

    Returns the device that will train, for the log and ``metrics.csv``.
    """
    chosen = choose_device(device, job)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # a second job in one process (tests, benchmark): pools are fixed by then
        log.info("TensorFlow already initialised; keeping its thread pools")
    tf.config.experimental.enable_op_determinism()
    # float32 on a GPU as on a CPU: TensorFlow would otherwise run float32 matrix products and
    # convolutions on Ampere and later GPUs in TF32 (a 10-bit mantissa). No effect on a CPU.
    tf.config.experimental.enable_tensor_float_32_execution(False)
    keras.utils.set_random_seed(seed)
    log.info("device %s (policy %s), %d thread(s), seed %d", chosen, device, threads, seed)
    if "SLURM_JOB_ID" in os.environ:
        booked = booked_cpus()
        log.info(
            "slurm job %s on %s, %s CPU(s) booked, %d TensorFlow thread(s), %s",
            os.environ["SLURM_JOB_ID"],
            os.environ.get("SLURMD_NODENAME", "?"),
            booked,
            threads,
            describe_grant(gpu_grant()),
        )
        if booked is not None and booked != threads:
            log.warning(
                "%d TensorFlow threads on %d booked CPUs: the profile's set-threads should book what the job uses",
                threads,
                booked,
            )
    return chosen


def report_devices(model: keras.Model, parts: str = "training, probe and evaluation") -> None:
    """Where this job's work ran, and that op determinism held; for the job's log.

    ``configure_tensorflow`` enabled op determinism, under which TensorFlow raises on any op that has
    no deterministic kernel (on a GPU, some reductions and scatters). A job that gets here ran none.
    """
    placed = model.weights[0].value.device or "the default device"
    log.info(
        "devices: weights and the compiled %s on %s (Keras runs them where the weights are); the input "
        "pipeline (tf.data) on the CPU. Op determinism: enabled, and held (no op without a deterministic "
        "kernel ran; TensorFlow would have raised). TF32: off (float32 throughout)",
        parts,
        placed.split("device:")[-1],
    )
