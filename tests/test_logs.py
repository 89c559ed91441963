"""A job's output: INFO and whatever libraries write to stderr go to its log, the user's lines to the console."""

import subprocess
import sys
import textwrap

from conftest import ROOT
from depthstudy.logs import FINISHED

JOB = """
import logging, os, warnings
from depthstudy.logs import CONSOLE, job_name, start_job

start_job({log!r}, job_name("train_mlp", {{"exercise": "ex1", "activation": "relu", "depth": "5", "seed": "0"}}))
log = logging.getLogger("depthstudy.jobs")
log.info("epoch 1/5 progress")
os.write(2, b"I0000 a C++ library writing to descriptor 2\\n")
log.info("test accuracy 0.9000", extra=CONSOLE)
log.warning("loss is nan at epoch 3: training diverged, stopping")
warnings.warn("a library's warning")
raise ValueError("exercises.ex1: something named")
"""


def test_info_and_stderr_go_to_the_log_and_results_warnings_errors_to_the_console(tmp_path):
    log = tmp_path / "logs" / "job.log"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(JOB.format(log=str(log)))],
        cwd=ROOT / "workflow" / "scripts",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "[train_mlp ex1/relu/depth5/seed0] test accuracy 0.9000",
        "[train_mlp ex1/relu/depth5/seed0] WARNING: loss is nan at epoch 3: training diverged, stopping",
        "[train_mlp ex1/relu/depth5/seed0] WARNING: <string>:11: UserWarning: a library's warning",
        "[train_mlp ex1/relu/depth5/seed0] ERROR: ValueError: exercises.ex1: something named",
    ]
    text = log.read_text()
    for line in ("epoch 1/5 progress", "I0000 a C++ library", "test accuracy 0.9000", "training diverged"):
        assert line in text
    assert "Traceback (most recent call last)" in text  # the whole traceback, in the log only


FINISHING_JOB = """
import atexit, logging, os, sys
from depthstudy.logs import CONSOLE, finish_job, start_job

start_job({log!r}, "train_cnn seed0")
import tensorflow as tf  # what the finish skips tearing down

atexit.register(lambda: os.write(1, b"at-exit handler ran"))
log = logging.getLogger("depthstudy.jobs")
for epoch in range(1000):
    log.info("epoch %d of a long log", epoch)
log.info("test accuracy 0.9000", extra=CONSOLE)
print("buffered on stdout, no newline", end="")
os.write(2, b"a C++ library's last line\\n")
finish_job()
raise SystemExit(3)
"""


def test_finish_job_flushes_the_log_and_console_and_exits_at_once_with_status_0(tmp_path):
    log = tmp_path / "job.log"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FINISHING_JOB.format(log=str(log)))],
        cwd=ROOT / "workflow" / "scripts",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "buffered on stdout, no newline"  # flushed; the at-exit handler never ran
    assert proc.stderr.splitlines() == ["[train_cnn seed0] test accuracy 0.9000"]
    lines = log.read_text().splitlines()
    assert sum("of a long log" in line for line in lines) == 1000
    assert "a C++ library's last line" in lines[-2] and lines[-1].endswith(f"depthstudy: {FINISHED}")


def test_every_training_job_of_the_smoke_run_logged_its_finish_last(smoke_run):
    logs = [
        log
        for rule in ("train_mlp", "train_cnn", "train_phase")
        for log in (smoke_run / "results/logs" / rule).rglob("*.log")
    ]
    assert len(logs) >= 16 + 1 + 2, logs  # the smoke study's MLP cells, CNN seed and phase rows
    for log in logs:
        assert log.read_text().splitlines()[-1].endswith(FINISHED), log


def test_job_names_read_like_their_output_folders():
    from depthstudy.logs import job_name

    assert job_name("train_cnn", {"seed": "2"}) == "train_cnn seed2"
    assert job_name("combine_probe", {"exercise": "ex1", "depth": "40"}) == "combine_probe ex1/depth40"
    assert job_name("claims_table", {}) == "claims_table"


def test_a_job_on_another_data_set_names_it_as_its_results_folder_does():
    from depthstudy.logs import job_name

    wildcards = {"exercise": "ex1", "activation": "relu", "depth": "5"}
    assert job_name("train_mlp", wildcards, "fashion_mnist") == "train_mlp fashion_mnist/ex1/relu/depth5"
    assert job_name("train_mlp", wildcards, "mnist") == "train_mlp ex1/relu/depth5"
    assert job_name("train_phase", {}, "fashion_mnist") == "train_phase fashion_mnist"
