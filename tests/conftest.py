"""Shared fixtures: the package on sys.path, real MNIST, and workflow runs in scratch copies of the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
SMOKE = ROOT / "tests" / "config" / "smoke.yaml"
MNIST_ENV = "DEPTHSTUDY_MNIST_DIR"


def pytest_configure(config):
    config.addinivalue_line("markers", "slurm: needs a running Slurm cluster (.ci/slurm-up starts one)")
    config.addinivalue_line("markers", "slow: takes minutes; run with -m slow")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST IDX folder: $DEPTHSTUDY_MNIST_DIR (CI sets it), else skip with the reason."""
    folder = os.environ.get(MNIST_ENV)
    if folder and Path(folder).is_dir():
        return Path(folder).resolve()
    if os.environ.get("CI"):
        pytest.fail(f"{MNIST_ENV} must point at the MNIST IDX folder in CI (got {folder!r})")
    pytest.skip(f"set {MNIST_ENV} to a folder with the four MNIST IDX files to run this test")


def copy_workflow(dest: Path) -> Path:
    """A scratch copy of the workflow (Snakefile, config, workflow/, tests/config) to run Snakemake in."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("workflow", "envs", "tests/config", "slurm"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 1200, **kw):
    """Run the real snakemake CLI in ``workdir``; returns the CompletedProcess (stdout + stderr in .stdout)."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    proc = subprocess.run(
        cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, **kw
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory, mnist_dir) -> Path:
    """The whole smoke study, run once per session; tests read its results."""
    work = copy_workflow(tmp_path_factory.mktemp("smoke"))
    snakemake(work, "--cores", "2", "--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}")
    return work
