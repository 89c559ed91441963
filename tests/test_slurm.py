"""The smoke study through `snakemake --profile slurm` on a real (single-node) Slurm cluster.

.ci/slurm-up starts the cluster; the test edits only the profile's marked placeholders (partition,
account) and the sizes that a 2-core CI node cannot grant.
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
import yaml

from conftest import copy_workflow

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def cluster():
    idle = shutil.which("sinfo") and subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout
    if not idle or "idle" not in idle and "mix" not in idle:
        if os.environ.get("CI"):
            pytest.fail("no idle Slurm node: .ci/slurm-up must run before the tests in CI")
        pytest.skip("no Slurm cluster here (start one with .ci/slurm-up, as root)")


def ci_profile(work):
    """The shipped profile with its EDIT placeholders filled in for the local cluster."""
    path = work / "slurm/config.yaml"
    profile = yaml.safe_load(path.read_text())
    profile["default-resources"].pop("slurm_account")
    profile["default-resources"].update(slurm_partition="debug", mem_mb=1000, runtime=20)
    for rule in profile["set-resources"].values():
        rule.update(slurm_partition="debug", cpus_per_gpu=1, mem_mb=3000, runtime=20)
    profile.update(
        {
            "slurm-no-account": True,
            "slurm-status-command": "squeue",  # no accounting database here
            "slurm-init-seconds-before-status-checks": 2,
        }
    )
    path.write_text(yaml.safe_dump(profile))
    assert profile["set-resources"]["train_mlp"]["gpu"] == 1


SMALL = """
seeds: [0]
cnn: {seeds: [0], epochs: 3, batch_size: 64, optimizer: adam, learning_rate: 0.001, l2: 0.0005, validation_split: 0.1}
"""


def cancel_after_first_epoch(work, cancelled):
    """Pre-empt the CNN job: scancel it once it has checkpointed its first epoch."""
    history = work / "results/ex3/seed0/resume/history.csv"
    log = work / "results/logs/train_cnn/seed0.log"
    deadline = time.time() + 600
    while time.time() < deadline:
        if history.exists() and log.exists():
            match = re.search(r"slurm job (\d+)", log.read_text())
            if match:
                subprocess.run(["scancel", match.group(1)], check=True)
                cancelled.append(match.group(1))
                return
        time.sleep(0.2)


def test_smoke_study_runs_as_slurm_jobs_that_ask_for_a_gpu(cluster, tmp_path, mnist_dir, capsys):
    work = copy_workflow(tmp_path)
    ci_profile(work)
    (work / "small.yaml").write_text(SMALL)
    cancelled: list[str] = []
    watcher = threading.Thread(target=cancel_after_first_epoch, args=(work, cancelled), daemon=True)
    watcher.start()
    started = time.time()
    proc = subprocess.run(
        # the plugin can hang on status checks; never let CI wait forever
        ["timeout", "-k", "30", "1200", sys.executable, "-m", "snakemake", "--profile", "slurm", "--verbose",
         "ex1b", "ex3", "--configfile", "tests/config/smoke.yaml", "small.yaml", "--config", f"data_dir={mnist_dir}"],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    out = proc.stdout
    with capsys.disabled():  # the CI log shows the Slurm job ids and one GPU request
        print(f"\nslurm smoke run: {time.time() - started:.0f} s")
        print("\n".join(line for line in out.splitlines() if "SLURM jobid" in line or "CANCELLED" in line))
        print(next((line[:400] for line in out.splitlines() if "sbatch call" in line and "--gpus=1" in line), ""))
    assert proc.returncode == 0, out[-5000:]

    job_ids = re.findall(r"submitted with SLURM jobid (\d+)", out)
    sbatch = [line for line in out.splitlines() if "sbatch call" in line]
    train_calls = [line for line in sbatch if "rule_train_" in line or "train_mlp" in line or "train_cnn" in line]
    assert len(job_ids) >= 7, out[-3000:]  # 6 MLPs + the CNN (+ its resubmission), prepare_data
    assert train_calls and all("--gpus=1" in line for line in train_calls)
    for rule in ("train_mlp", "train_cnn"):
        logs = list((work / ".snakemake/slurm_logs" / f"rule_{rule}").rglob("*.log"))
        assert logs, f"no Slurm log for {rule}"
    for log in (work / "results/logs/train_mlp").rglob("*.log"):
        assert re.search(r"slurm job \d+ on \S+, CUDA_VISIBLE_DEVICES=0", log.read_text()), log
    # only data preparation and training went to the cluster; tables and figures ran locally
    sent = {folder.name for folder in (work / ".snakemake/slurm_logs").iterdir()}
    assert sent == {"rule_prepare_data", "rule_train_mlp", "rule_train_cnn"}, sent

    # the pre-empted CNN was resubmitted and resumed from its checkpoint
    assert cancelled, "the CNN finished before it could be cancelled"
    metrics = pd.read_csv(work / "results/ex3/seed0/metrics.csv")
    assert metrics.resumed_from_epoch.item() >= 1 and metrics.epochs.item() == 3
    assert (work / "results/figures/ex1b_accuracy_by_depth.png").exists()
