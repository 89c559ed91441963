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


# The fast tier, `python -m pytest -m "not slow"`, leaves out every test that runs the smoke study
# (these fixtures) or another whole workflow run; the markers are declared in pyproject.toml.
SLOW_FIXTURES = {"smoke_run", "fashion_run"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


KERAS_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"


def idx_folder_from_keras_cache(dest: Path) -> Path:
    """Write Keras' cached MNIST back out as the four IDX files (byte-identical to the originals)."""
    import gzip

    import numpy as np

    from depthstudy.data import IDX_FILES

    with np.load(KERAS_CACHE) as npz:
        for key, stem in IDX_FILES.items():
            array = npz[key]
            header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
            (dest / f"{stem}.gz").write_bytes(gzip.compress(header + array.astype("uint8").tobytes()))
    return dest


def folder_from_env(variable: str, name: str) -> Path | None:
    """The IDX folder that $variable names; in CI (which sets it) a missing folder fails the test."""
    folder = os.environ.get(variable)
    if folder and Path(folder).is_dir():
        return Path(folder).resolve()
    if os.environ.get("CI"):
        pytest.fail(f"{variable} must point at the {name} IDX folder in CI (got {folder!r})")
    return None


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    """The real MNIST IDX folder: $DEPTHSTUDY_MNIST_DIR (CI sets it), else Keras' cache, else skip."""
    if folder := folder_from_env(MNIST_ENV, "MNIST"):
        return folder
    if KERAS_CACHE.exists():
        return idx_folder_from_keras_cache(tmp_path_factory.mktemp("mnist"))
    pytest.skip(f"no MNIST: set {MNIST_ENV} to a folder with the four IDX files, or run the workflow once online")


FASHION_ENV = "DEPTHSTUDY_FASHION_MNIST_DIR"
FASHION_DEBIAN = Path("/usr/share/datasets/fashion-mnist")  # Debian's package dataset-fashion-mnist


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    """The real Fashion-MNIST IDX folder: $DEPTHSTUDY_FASHION_MNIST_DIR (CI sets it), else Debian's, else skip."""
    if folder := folder_from_env(FASHION_ENV, "Fashion-MNIST"):
        return folder
    if FASHION_DEBIAN.is_dir():
        return FASHION_DEBIAN
    pytest.skip(f"no Fashion-MNIST: set {FASHION_ENV}, or apt-get install dataset-fashion-mnist")


def copy_workflow(dest: Path) -> Path:
    """A scratch copy of the workflow (Snakefile, config, workflow/, tests/config) to run Snakemake in."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("workflow", "envs", "tests/config", "slurm"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 1200, python=sys.executable, **kw):
    """Run the real snakemake CLI in ``workdir`` (with ``python``'s Snakemake, by default this venv's);
    returns the CompletedProcess (stdout + stderr in .stdout)."""
    cmd = [str(python), "-m", "snakemake", *args]
    proc = subprocess.run(
        cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, **kw
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc


# The README's quick trial in its offline form, less the MNIST folder (test_readme.py checks the README's words).
QUICK_TRIAL = ["--cores", "2", "--configfile", "tests/config/smoke.yaml", "--config"]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory, mnist_dir) -> Path:
    """The whole smoke study, run once per session as the README's quick trial: its command, with the
    workflow profile that a clone loads by itself named here instead, so that the tests' own later runs
    in this folder show Snakemake's job blocks. Tests read its results and its console (console.txt)."""
    work = copy_workflow(tmp_path_factory.mktemp("smoke"))
    profile = ["--workflow-profile", str(ROOT / "profiles/default")]
    proc = snakemake(work, *profile, *QUICK_TRIAL, f"data_dir={mnist_dir}")
    (work / "console.txt").write_text(proc.stdout)
    return work


FASHION_TARGETS = ["ex1b", "ex3"]


@pytest.fixture(scope="session")
def fashion_run(smoke_run, fashion_dir, mnist_dir) -> Path:
    """The smoke study's 1.B and CNN (targets FASHION_TARGETS) on Fashion-MNIST, in the same folder as
    MNIST's (results/fashion_mnist/), with its booleans spelled as users type them; its console is in
    console-fashion.txt. The rest of the study reads the data set's name through the same code."""
    config = ["--configfile", "tests/config/smoke.yaml", "--config", "dataset=fashion_mnist"]
    config += [f"data_dir={fashion_dir}", "verify_checksums=true", "tensorboard=false"]
    mnist = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}"]
    (smoke_run / "mnist-before-fashion.txt").write_text(snakemake(smoke_run, "-n", *mnist).stdout)
    before = mnist_files(smoke_run)
    proc = snakemake(smoke_run, "--cores", "2", *config, "--", *FASHION_TARGETS)
    (smoke_run / "console-fashion.txt").write_text(proc.stdout)
    # what the Fashion-MNIST run did to MNIST's results, for the tests to read whatever ran in between
    touched = sorted(path for path, stamp in mnist_files(smoke_run).items() if before.get(path) != stamp)
    (smoke_run / "mnist-touched-by-fashion.txt").write_text("".join(f"{path}\n" for path in touched))
    (smoke_run / "mnist-after-fashion.txt").write_text(snakemake(smoke_run, "-n", *mnist).stdout)
    return smoke_run


def mnist_files(work: Path) -> dict[str, int]:
    """MNIST's result files (all of results/ but results/fashion_mnist/) and their modification times."""
    fashion = work / "results" / "fashion_mnist"
    return {
        str(path.relative_to(work)): path.stat().st_mtime_ns
        for path in (work / "results").rglob("*")
        if path.is_file() and fashion not in path.parents
    }


def job_stats(output: str) -> dict[str, int]:
    """The 'Job stats' table of a (dry) run: rule -> number of jobs."""
    block = output.split("Job stats:", 1)[1]
    stats = {}
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        stats[parts[0]] = int(parts[1])
    return stats
