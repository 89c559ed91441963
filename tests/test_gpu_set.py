"""The GPU set (requirements-gpu.txt: TensorFlow's CUDA build with CUDA and cuDNN as pip wheels),
installed and run on a machine without a GPU, as a cluster job that lands on a node without its GPU.

These tests run in the GPU set's own venv: `.ci/gpu-set` installs it and runs
`python -m pytest -m gpu_set tests/test_gpu_set.py` there. In the CPU set's venv (the README's test
command) they are skipped, since `tensorflow-cpu` is not the CUDA build; `.ci/gpu-set` sets
DEPTHSTUDY_GPU_SET=1, under which a venv without the CUDA build fails instead.

The same jobs run with the CPU set too (its python: $DEPTHSTUDY_CPU_PYTHON, else the checkout's
.venv), so that the two builds' numbers can be compared.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
import tensorflow as tf

from conftest import ROOT, copy_workflow, snakemake

CUDA = tf.test.is_built_with_cuda()
if os.environ.get("DEPTHSTUDY_GPU_SET") and not CUDA:
    raise RuntimeError(f"DEPTHSTUDY_GPU_SET is set, but {sys.executable} has TensorFlow without CUDA")

pytestmark = [
    pytest.mark.gpu_set,
    pytest.mark.slow,
    pytest.mark.skipif(not CUDA, reason="needs the GPU set's venv (TensorFlow's CUDA build): .ci/gpu-set runs it"),
]

# two smoke MLP cells (a net of each) of two kinds of activation path, and the smoke CNN (one epoch on
# 1,800 images): the console's name of each job, and one net it trains
JOBS = {
    "train_mlp ex1/tanh/depth6": "results/ex1/tanh/depth6/seed0",
    "train_mlp ex1/relu/depth2": "results/ex1/relu/depth2/seed1",
    "train_cnn seed0": "results/ex3/seed0",
}
# what a run measures besides its numbers
TIMING = ["train_seconds"]


def cpu_python() -> Path:
    python = Path(os.environ.get("DEPTHSTUDY_CPU_PYTHON", ROOT / ".venv/bin/python"))
    assert python.exists(), f"the CPU set's python {python} is missing: set DEPTHSTUDY_CPU_PYTHON"
    return python


def run(python: str | Path, work: Path, mnist_dir: Path, *extra: str, env: dict | None = None):
    """The smoke study's JOBS (metrics.csv of each) with ``python``'s Snakemake and TensorFlow."""
    targets = [f"{folder}/metrics.csv" for folder in JOBS.values()]
    config = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}", *extra]
    return snakemake(work, "--cores", "2", *config, "--", *targets, check=False, python=python,
                     env={**os.environ, **(env or {})})  # fmt: skip


@pytest.fixture(scope="module")
def builds(tmp_path_factory, mnist_dir) -> dict[str, Path]:
    """The same jobs run with the CUDA build (device: auto) and with tensorflow-cpu."""
    works = {}
    for name, python in (("cuda", sys.executable), ("cpu", cpu_python())):
        work = copy_workflow(tmp_path_factory.mktemp(name))
        proc = run(python, work, mnist_dir, "device=auto")
        (work / "console.txt").write_text(proc.stdout)
        assert proc.returncode == 0, proc.stdout[-4000:]
        works[name] = work
    return works


def test_the_cuda_build_is_installed_and_sees_no_gpu():
    assert tf.test.is_built_with_cuda()
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.sysconfig.get_build_info()["cuda_version"].startswith("12")


def test_the_cuda_build_trains_on_the_cpu_and_says_no_gpu_was_given(builds):
    work = builds["cuda"]
    for job, folder in JOBS.items():
        metrics = pd.read_csv(work / folder / "metrics.csv")
        assert metrics.device.item() == "CPU" and not metrics.diverged.item(), job
        rule, key = job.split(" ")
        log = (work / "results/logs" / rule / key).with_suffix(".log").read_text()
        assert "device CPU (policy auto)" in log, log[-2000:]
        assert "TensorFlow sees no GPU and this job was given no GPU" in log, log[-2000:]
        assert "built with CUDA" in log  # the CUDA build names itself
    console = (work / "console.txt").read_text()
    assert "test accuracy" in console and "WARNING" not in console  # nothing asks the user to act


def test_device_gpu_stops_before_training_naming_the_job_the_grant_and_the_fix(tmp_path, mnist_dir, capsys):
    work = copy_workflow(tmp_path / "study")
    # a Slurm job that was given GPU 0 on a node where the GPU (or its driver) is missing
    grant = {"CUDA_VISIBLE_DEVICES": "0", "SLURM_JOB_GPUS": "0"}
    proc = run(sys.executable, work, mnist_dir, "device=gpu", env=grant)
    assert proc.returncode != 0
    line = next(line for line in proc.stdout.splitlines() if "ERROR: DeviceError" in line)
    with capsys.disabled():  # CI's log shows what the user sees
        print(f"\nconsole: {line}")
    job = line[1 : line.index("]")]
    assert job in JOBS, line
    # the error names the net (an MLP job's first seed)
    assert re.search(rf"\[{re.escape(job)}\] ERROR: DeviceError: {re.escape(job)}(/seed0)?: device is 'gpu' but", line)
    assert "This job was given CUDA_VISIBLE_DEVICES=0, SLURM_JOB_GPUS=0" in line
    assert f"TensorFlow {tf.__version__} has CUDA but found no usable GPU: check `nvidia-smi`" in line
    assert "Or set device: auto to let it train on the CPU" in line
    # before training: no epoch in its log, and no result
    rule, key = job.split(" ")
    log = (work / "results/logs" / rule / key).with_suffix(".log").read_text()
    assert "epoch 1/" not in log and "DeviceError" in log
    assert not (work / JOBS[job] / "metrics.csv").exists()


def test_the_cuda_builds_numbers_equal_tensorflow_cpus_bit_for_bit(builds):
    for job, folder in JOBS.items():
        files = sorted(p.name for p in (builds["cuda"] / folder).glob("*.csv"))
        assert files, job
        for name in files:
            cuda, cpu = (pd.read_csv(builds[b] / folder / name) for b in ("cuda", "cpu"))
            cuda, cpu = (f.drop(columns=[c for c in TIMING if c in f.columns]) for f in (cuda, cpu))
            pd.testing.assert_frame_equal(cuda, cpu, check_exact=True, obj=f"{job}: {name}")
