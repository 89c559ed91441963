"""The study through `snakemake --profile slurm` on a real (single-node) Slurm cluster.

.ci/slurm-up starts the cluster. Its one GPU is a stand-in (a gres backed by /dev/null): jobs that
ask for it are scheduled and get CUDA_VISIBLE_DEVICES=0, but TensorFlow sees no GPU. That is what
the device policy must handle. The tests fill in only the profile's EDIT placeholders (partition,
account), the status command of a cluster without accounting, and the threads that a 2-core node
can grant; everything else is the shipped profile.
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import copy_workflow, job_stats, snakemake

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# The CI node has 2 CPUs: the CNN books both, an MLP submission one.
CI_THREADS = {"train_mlp": 1, "train_cnn": 2}

# The local reference run trains the CNN with the threads its Slurm job gets, so that both agree bit for bit.
SMALL = f"""
seeds: [0]
threads: {{mlp: {CI_THREADS["train_mlp"]}, cnn: {CI_THREADS["train_cnn"]}}}
cnn: {{seeds: [0, 1], epochs: 2, batch_size: 64, optimizer: adam, learning_rate: 0.001, l2: 0.0005,
      validation_split: 0.1}}
"""


@pytest.fixture(scope="module")
def cluster():
    idle = shutil.which("sinfo") and subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout
    if not idle or "idle" not in idle and "mix" not in idle:
        if os.environ.get("CI"):
            pytest.fail("no idle Slurm node: .ci/slurm-up must run before the tests in CI")
        pytest.skip("no Slurm cluster here (start one with .ci/slurm-up, as root)")


def fill_edit_values(profile: dict, cpu: str, gpu: str) -> dict:
    """The shipped profile with its three EDIT values filled in, as the README asks a user to: the
    partitions, and no account (this cluster has no accounting)."""
    placeholders = [
        (profile["default-resources"], "slurm_partition", cpu),
        *((settings, "slurm_partition", gpu) for settings in profile["set-resources"].values()),
    ]
    for settings, key, value in placeholders:
        assert settings[key].startswith("EDIT"), (key, settings[key])
        settings[key] = value
    assert profile["default-resources"].pop("slurm_account").startswith("EDIT")
    profile["slurm-no-account"] = True
    return profile


def ci_profile(work: Path, device: str) -> dict:
    """The shipped profile for the local cluster: EDIT values, no accounting, 2 CPUs, ``device``."""
    path = work / "slurm/config.yaml"
    profile = fill_edit_values(yaml.safe_load(path.read_text()), "debug", "debug")
    profile.update(
        {
            "slurm-status-command": "squeue",  # no accounting database here
            "slurm-init-seconds-before-status-checks": 2,
            "set-threads": [f"{rule}={n}" for rule, n in CI_THREADS.items()],
        }
    )
    for rule in CI_THREADS:
        profile["set-resources"][rule]["device"] = device
    path.write_text(yaml.safe_dump(profile))
    return profile


def run_profile(work: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    return subprocess.run(
        # the plugin can hang on status checks; never let CI wait forever
        ["timeout", "-k", "30", str(timeout), sys.executable, "-m", "snakemake", "--profile", "slurm", "--verbose",
         *args],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def sbatch_calls(out: str) -> list[str]:
    return [line for line in out.splitlines() if "sbatch call:" in line]


def flag(call: str, name: str) -> int:
    """The integer value of an sbatch flag in a call: ``-t 63``, ``--mem 2812``, ``--cpus-per-task=2``."""
    return int(re.search(rf"(?:^|\s){re.escape(name)}[ =](\d+)", call).group(1))


def slurm_job_of(log: Path) -> str | None:
    match = log.exists() and re.search(r"slurm job (\d+)", log.read_text())
    return match.group(1) if match else None


def squeue_state(job: str) -> str:
    return subprocess.run(
        ["squeue", "-h", "--states=all", "-j", job, "-o", "%T"], capture_output=True, text=True
    ).stdout.strip()


def after_first_epoch(work: Path, seed: int, action, done: list, deadline: float = 900) -> None:
    """Once CNN seed ``seed`` has checkpointed an epoch, call ``action(slurm_job_id)`` and record it."""
    history = work / f"results/ex3/seed{seed}/resume/history.csv"
    log = work / f"results/logs/train_cnn/seed{seed}.log"
    end = time.time() + deadline
    while time.time() < end:
        job = history.exists() and slurm_job_of(log)
        if job:
            done.append(job)
            action(job)
            return
        time.sleep(0.2)


def cancel(job: str) -> None:
    subprocess.run(["scancel", job], check=True)


def requeue_and_watch(states: list[str]):
    """Pre-empt a running job as Slurm's preemption does (requeue), and record its states until it ends."""

    def action(job: str) -> None:
        subprocess.run(["scontrol", "requeue", job], check=True)
        end = time.time() + 900
        while time.time() < end:
            state = squeue_state(job)
            if state and (not states or states[-1] != state):
                states.append(state)
                if state == "PENDING":  # Slurm holds a requeued job for 2 minutes (BeginTime); skip the wait
                    subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], check=True)
            if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"):
                return
            time.sleep(0.25)

    return action


def test_profile_plans_the_default_study_with_only_the_edit_values_filled_in(tmp_path):
    """`snakemake --profile slurm -n` from the repo root: the three EDIT values, nothing else."""
    work = copy_workflow(tmp_path)
    path = work / "slurm/config.yaml"
    text = path.read_text()
    # three values, edited in the file as a user would (the CNN reuses the GPU partition's anchor)
    edits = {"EDIT-your-account": "my-account", "EDIT-cpu-partition": "cpu", "EDIT-gpu-partition": "gpu"}
    assert sorted(re.findall(r'"(EDIT-[^"]*)"', text)) == sorted(edits)
    for placeholder, value in edits.items():
        text = text.replace(placeholder, value)
    path.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "slurm", "-n"], cwd=work,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:]
    planned = job_stats(proc.stdout)
    # one MLP job per grid cell: the exercises' activations x depths, summed over config.yaml's blocks
    config = yaml.safe_load((work / "config.yaml").read_text())
    cells = sum(len(block["activations"]) * len(block["depths"]) for block in config["exercises"].values())
    assert planned["train_mlp"] == cells and planned["train_cnn"] == 3, planned


def test_device_gpu_stops_a_job_that_sees_no_gpu_within_seconds(cluster, tmp_path, mnist_dir, capsys):
    work = copy_workflow(tmp_path)
    ci_profile(work, device="gpu")  # as shipped
    target = "results/ex1/relu/depth2/seed0/metrics.csv"
    config = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}"]
    # the data prepared here, so that the cluster runs only the training job (the smoke test below
    # sends prepare_data through Slurm)
    snakemake(work, "--cores", "1", *config, "--", "results/data/mnist.npz")
    proc = run_profile(work, target, "--retries", "0", *config, timeout=600)
    assert proc.returncode != 0, proc.stdout[-3000:]
    log = work / "results/logs/train_mlp/ex1/relu/depth2.log"
    text = log.read_text()
    error = next(line for line in text.splitlines() if "DeviceError" in line)
    # it names the job, what Slurm gave it and the fix; it trained on nothing
    assert "train_mlp ex1/relu/depth2/seed0: device is 'gpu' but TensorFlow sees no GPU" in error
    assert "CUDA_VISIBLE_DEVICES=0" in error and re.search(r"SLURM_(JOB|STEP)_GPUS=0", error)
    assert "pip install -r requirements-gpu.txt" in error
    assert "epoch" not in text and not (work / target).exists()
    # within seconds: from the job's start to its end, as Slurm recorded them
    job = re.search(r"SLURM jobid (\d+) \(log: \S*group_mlp_train_mlp", proc.stdout).group(1)
    show = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
    hours, minutes, secs = map(int, re.search(r"RunTime=(\d+):(\d+):(\d+)", show).groups())
    seconds = 3600 * hours + 60 * minutes + secs
    state = re.search(r"JobState=(\S+)", show).group(1)
    with capsys.disabled():
        print(f"\ndevice gpu: slurm job {job} {state} after {seconds} s\n  {error}")
    assert state == "FAILED" and seconds < 60, show
    # the console says which job failed and where its log is
    assert "Error in group mlp" in proc.stdout or "Error in rule train_mlp" in proc.stdout
    assert "results/logs/train_mlp/ex1/relu/depth2.log" in proc.stdout


def test_smoke_study_on_slurm_groups_mlps_uses_booked_cpus_survives_cancel_and_requeue(
    cluster, tmp_path, mnist_dir, capsys
):
    work = copy_workflow(tmp_path / "slurm")
    ci_profile(work, device="auto")
    (work / "small.yaml").write_text(SMALL)
    config = ["--configfile", "tests/config/smoke.yaml", "small.yaml", "--config", f"data_dir={mnist_dir}"]

    # the same CNNs trained locally, uninterrupted, beside the Slurm run: what the interrupted ones must equal
    reference = copy_workflow(tmp_path / "local")
    (reference / "small.yaml").write_text(SMALL)
    console = reference / "console.txt"
    with console.open("w") as stdout:
        local = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "2", "ex3", *config], cwd=reference,
            stdout=stdout, stderr=subprocess.STDOUT,
        )  # fmt: skip

    cancelled: list[str] = []
    requeued: list[str] = []
    states: list[str] = []
    watchers = [
        threading.Thread(target=after_first_epoch, args=(work, 0, cancel, cancelled), daemon=True),
        threading.Thread(target=after_first_epoch, args=(work, 1, requeue_and_watch(states), requeued), daemon=True),
    ]
    for watcher in watchers:
        watcher.start()
    started = time.time()
    proc = run_profile(work, "ex1b", "ex3", *config)
    for watcher in watchers:
        watcher.join(timeout=60)
    out = proc.stdout
    calls = sbatch_calls(out)
    mlp_calls = [c for c in calls if "--comment rule_mlp_train_mlp" in c]
    cnn_calls = {seed: [c for c in calls if f"'train_cnn:seed={seed}'" in c] for seed in (0, 1)}
    with capsys.disabled():  # the CI log shows what Slurm did
        print(f"\nslurm smoke run: {time.time() - started:.0f} s, {len(calls)} sbatch calls")
        print("\n".join(line for line in out.splitlines() if "SLURM jobid" in line or "CANCELLED" in line))
        print(
            f"cancelled CNN seed 0: slurm job {cancelled}; requeued CNN seed 1: slurm job {requeued}, states {states}"
        )
        print(
            f"CNN seed 0 attempts: {[(flag(c, '-t'), flag(c, '--mem')) for c in cnn_calls[0]]} (-t minutes, --mem MB)"
        )
    assert proc.returncode == 0, out[-5000:]
    assert local.wait(timeout=900) == 0, console.read_text()[-3000:]

    # grouped submissions: six MLP jobs in one sbatch, every output there
    mlp_jobs = sorted((work / "results/ex1").glob("*/depth*/seed0/metrics.csv"))
    assert len(mlp_jobs) == 6 and len(mlp_calls) == 1, (mlp_jobs, mlp_calls)
    assert all("--gpus=1" in c for c in calls if "train_" in c)
    assert {f.name for f in (work / ".snakemake/slurm_logs").iterdir()} == {
        "rule_prepare_data",
        "group_mlp_train_mlp",
        "rule_train_cnn",
    }  # tables and figures ran locally

    # booked CPUs are used: sbatch --cpus-per-task = the CPUs the job saw = TensorFlow's threads
    for rule, rule_calls in (("train_mlp", mlp_calls), ("train_cnn", cnn_calls[1])):
        booked = {flag(c, "--cpus-per-task") for c in rule_calls}
        assert booked == {CI_THREADS[rule]}, (rule, booked)
        for log in (work / "results/logs" / rule).rglob("*.log"):
            seen = re.search(r"slurm job \d+ on \S+, (\d+) CPU\(s\) booked, (\d+) TensorFlow thread", log.read_text())
            assert seen and seen.groups() == (str(CI_THREADS[rule]),) * 2, (log, seen)

    # device auto on a node whose GPU TensorFlow cannot use: a warning in the log, CPU in metrics.csv
    for path in mlp_jobs:
        assert pd.read_csv(path).device.item() == "CPU"
        log = (work / "results/logs/train_mlp" / path.relative_to(work / "results").parent.parent).with_suffix(".log")
        assert re.search(
            r"WARNING .*given a GPU \(CUDA_VISIBLE_DEVICES=0.*\) that TensorFlow cannot use", log.read_text()
        )

    # scancel -> CANCELLED -> Snakemake's retry, which books more time and memory and resumes
    assert cancelled, "CNN seed 0 finished before it could be cancelled"
    assert len(cnn_calls[0]) == 2, cnn_calls[0]
    first, retry = cnn_calls[0]
    assert flag(retry, "-t") > flag(first, "-t") and flag(retry, "--mem") > flag(first, "--mem")
    # requeue (pre-emption): the same Slurm job runs again, no second sbatch, and resumes
    assert requeued, "CNN seed 1 finished before it could be requeued"
    assert len(cnn_calls[1]) == 1, cnn_calls[1]
    show = subprocess.run(["scontrol", "show", "job", requeued[0]], capture_output=True, text=True).stdout
    assert "Restarts=1" in show and "JobState=COMPLETED" in show, show
    assert states[-1] == "COMPLETED" and "PENDING" in states, states

    # both interrupted CNNs resumed from their checkpoint and equal the uninterrupted local run
    for seed in (0, 1):
        metrics = pd.read_csv(work / f"results/ex3/seed{seed}/metrics.csv")
        assert metrics.resumed_from_epoch.item() == 1 and metrics.epochs.item() == 2
        expected = pd.read_csv(reference / f"results/ex3/seed{seed}/metrics.csv")
        same = ["test_loss", "test_accuracy", "epochs", "params", "diverged", "device"]
        pd.testing.assert_frame_equal(metrics[same], expected[same])
        for name in ("history.csv",):
            pd.testing.assert_frame_equal(
                pd.read_csv(work / f"results/ex3/seed{seed}/{name}"),
                pd.read_csv(reference / f"results/ex3/seed{seed}/{name}"),
            )
    assert (work / "results/figures/ex1b_accuracy_by_depth.png").exists()
