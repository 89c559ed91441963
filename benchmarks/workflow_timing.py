"""Workflow-level timings: threads per training job, dry run and no-op rerun.

    python benchmarks/workflow_timing.py --data-dir /path/to/mnist

Runs the real Snakemake CLI in a scratch copy of the workflow:
1. a small grid of MLP jobs (ReLU and Tanh at depth 5 and 40, one seed, the default width and batch,
   2 epochs on 15,000 images) three ways: ``--cores 1`` with 1 thread per job, ``--cores 2`` with
   1 thread per job (two jobs side by side), ``--cores 2`` with 2 threads per job (one at a time);
2. the no-op rerun of that grid;
3. the dry run of the full default DAG (the repository's config.yaml).

With ``--study DIR`` (a folder holding a finished default run) it also times the dry run there, which
builds the same DAG as a no-op rerun but can never start a job: DIR's own config.yaml must hold the
settings (data_dir included) that the run used, else Snakemake would plan to rerun what they changed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mnist_args import ROOT, parser

GRID = [f"results/ex1/{a}/depth{d}/seed0/metrics.csv" for a in ("relu", "tanh") for d in (5, 40)]
OVERLAY = """
limit_train: 15000
seeds: [0]
training: {epochs: 2}
"""


def snakemake(workdir: Path, *args: str) -> tuple[float, str]:
    """Wall seconds and output of one snakemake call; stops the benchmark with its output if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed in {workdir}:\n{proc.stdout[-4000:]}")
    return seconds, proc.stdout


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--study", type=Path, help="a folder with a finished default run, to time its dry run")
    args = options.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("Snakefile", "config.yaml"):
            shutil.copy2(ROOT / name, work / name)
        for name in ("workflow", "envs"):  # envs/: the rules' conda files, recorded in the job metadata
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        (work / "overlay.yaml").write_text(OVERLAY)
        data = [f"data_dir={Path(args.data_dir).resolve()}"] if args.data_dir else []
        common = ["--configfile", "config.yaml", "overlay.yaml", "--config", *data, "--quiet", "all"]

        snakemake(work, "results/data/mnist.npz", "--cores", "1", *common)
        rows = []
        for cores, threads in ((1, 1), (2, 1), (2, 2)):
            shutil.rmtree(work / "results" / "ex1", ignore_errors=True)
            seconds, _ = snakemake(work, *GRID, "--cores", str(cores), "--set-threads", f"train_mlp={threads}", *common)
            rows.append((f"--cores {cores}, {threads} thread(s) per job", seconds))
            print(f"  {rows[-1][0]:<36} {seconds:7.1f} s", flush=True)
        noop, _ = snakemake(work, *GRID, "--cores", "2", "--set-threads", "train_mlp=2", *common)
        dry, _ = snakemake(work, "-n", "--cores", "4", "--config", *data, "--quiet", "all")

    print(f"\nsmall grid ({len(GRID)} MLP jobs, 2 epochs on 15,000 images)")
    for label, seconds in rows:
        print(f"{label:<38} {seconds:7.1f} s  ({rows[0][1] / seconds:.2f}x --cores 1)")
    print(f"no-op rerun of the grid               {noop:7.1f} s")
    print(f"dry run of the full default DAG       {dry:7.1f} s")
    if args.study:
        seconds, out = snakemake(args.study, "-n", "--cores", "2")
        state = "up to date" if "Nothing to be done" in out else "NOT up to date: jobs planned"
        print(f"dry run of the finished study         {seconds:7.1f} s  ({state})")


if __name__ == "__main__":
    main()
