"""What a job writes where: everything to its log file, only what a user must see to the console.

A run of the study starts dozens of jobs side by side. If each printed TensorFlow's C++ start-up lines
and its per-epoch progress, Snakemake's own progress would drown. So every rule script calls
``start_job`` first, before TensorFlow is imported:

- the job's log file gets its INFO lines and, through file descriptor 2, whatever a library writes to
  stderr itself (TensorFlow's C++ logging, at the level of ``TF_CPP_MIN_LOG_LEVEL``);
- the console gets warnings, errors (an uncaught exception as one line; its traceback is in the log)
  and lines logged with ``extra=CONSOLE`` (a training job's result), each prefixed with the job.

A training job ends with ``finish_job`` once its outputs are written: it flushes the log and the
console and leaves the process at once, without Python's and TensorFlow's teardown (about a second of
a core per process, which the study would pay once per training job).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

# Log a record with extra=CONSOLE to show it on the console as well as in the log file.
CONSOLE = {"console": True}

# TensorFlow's C++ log level unless the environment sets one: 1 drops its INFO lines (the oneDNN and
# CPU-feature notices); warnings and errors stay, in the job's log.
TF_CPP_MIN_LOG_LEVEL = "1"


def job_folder(keys: dict) -> str:
    """A job's keys as its result folder writes them: ex1/relu/depth5/seed0."""
    return "/".join(f"{k}{v}" if k in ("depth", "seed") else str(v) for k, v in keys.items())


def job_name(rule: str, wildcards: dict, dataset: str = "mnist") -> str:
    """How the console names a job: its rule and wildcard values, as in its output folder; a data set
    other than MNIST (its results folder, ``dataset``) goes first, as in results/fashion_mnist/ex1/..."""
    folder = "/".join(filter(None, ["" if dataset == "mnist" else dataset, job_folder(wildcards)]))
    return " ".join(filter(None, [rule, folder]))


class _ConsoleFormatter(logging.Formatter):
    """One line per record, prefixed with the job; a traceback stays in the log file."""

    def __init__(self, job: str):
        super().__init__()
        self.job = job

    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno < logging.WARNING else f"{record.levelname}: "
        return f"[{self.job}] {level}{record.getMessage().rstrip()}"


def _to_console(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or getattr(record, "console", False)


def start_job(log_path: str | Path | None, job: str) -> None:
    """Route this process's output as the module docstring says; call it before importing TensorFlow."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", TF_CPP_MIN_LOG_LEVEL)
    console = logging.StreamHandler(sys.stderr)
    handlers: list[logging.Handler] = [console]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        log_file = open(log_path, "w", buffering=1)  # open for the rest of the process
        sys.stderr.flush()
        # The console keeps the original stderr; descriptor 2, where C++ libraries write, goes to the log.
        console.setStream(os.fdopen(os.dup(2), "w", buffering=1))
        os.dup2(log_file.fileno(), 2)
        to_file = logging.StreamHandler(log_file)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(to_file)
    console.setFormatter(_ConsoleFormatter(job))
    console.addFilter(_to_console)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    logging.captureWarnings(True)  # Python warnings (Keras, pandas) are warnings like any other

    def log_uncaught(kind, error, traceback):
        logging.getLogger("depthstudy").error("%s: %s", kind.__name__, error, exc_info=(kind, error, traceback))

    sys.excepthook = log_uncaught


# The last line of a training job's log: everything above it was flushed before the process ended.
FINISHED = "outputs written; exiting"


def finish_job() -> NoReturn:
    """End a job whose outputs are all written and closed: log FINISHED, flush and close every log
    handler, flush the standard streams, then exit with status 0 at once (os._exit), skipping the
    interpreter's teardown of TensorFlow. Nothing after this call runs, at-exit handlers included."""
    logging.getLogger("depthstudy").info(FINISHED)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)
