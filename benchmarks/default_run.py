"""The default study's compute figures: where its CPU goes, from a run's own records.

    python benchmarks/default_run.py --run DIR --data-dir /path/to/mnist   # run the study in DIR, then report
    python benchmarks/default_run.py --study DIR                           # report on a finished run in DIR
    python benchmarks/default_run.py --run DIR --cores 2 --target mlp ...  # a part of the study (here the MLP grid)

DIR is a clone of the repository. ``--run`` starts ``snakemake --cores 4`` there (the default study,
four one-thread jobs on the measured 2-core machine; ``--data-dir`` sets ``data_dir``, else Keras
downloads MNIST) and samples the CPU time of
Snakemake's own process each second from ``/proc`` into ``DIR/results/benchmarks/snakemake.json``.
``--target`` runs only the named targets (``mlp``: every MLP net of the study), ``--cores`` sets the
cores, ``--configfile`` adds a config file (``tests/config/smoke.yaml``: the smoke study).
The report reads that file and the training rules' ``benchmark:`` files, and prints:

- the wall time of the run and Snakemake's own CPU, as a share of one core over the run;
- the MLP grid's CPU seconds (every ``train_mlp`` job), and its start-up share: the jobs times the mean
  CPU of an untrained 1.D job, which trains nothing (each trains the untrained nets of its grid cell),
  over the grid's CPU;
- the CNN's training images a second, from its ``metrics.csv`` (training seconds), and its images a
  CPU-second and GFLOP/s a core (86 MFLOP a training image), from its ``benchmark:`` file's CPU time
  (which counts the job's start-up and evaluation too, so it is a slight underestimate).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from cnn_step import TRAIN_MFLOP
from mnist_args import parser

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def study_config(work: Path, configfile: str | None) -> dict:
    """The study's config as far as this script reads it: config.yaml, its blocks replaced by the
    config file's."""
    config = yaml.safe_load((work / "config.yaml").read_text())
    if configfile:
        config.update(yaml.safe_load((work / configfile).read_text()))
    return config


def run(work: Path, data_dir: str | None, cores: int = 4, targets: list[str] = (), configfile: str | None = None):
    """The default study (or ``targets`` of it) in ``work``, with Snakemake's own CPU sampled each second."""
    config = ["--configfile", configfile] if configfile else []
    config += ["--config", f"data_dir={data_dir}"] if data_dir else []
    if "mlp" in targets:  # every MLP net: the combined metrics of each exercise
        exercises = study_config(work, configfile)["exercises"]
        targets = [t for t in targets if t != "mlp"] + [f"results/combined/{ex}/metrics.csv" for ex in exercises]
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), *config, "--", *targets]
    start = time.time()
    proc = subprocess.Popen(command, cwd=work)
    main_cpu = 0.0
    while proc.poll() is None:
        try:
            main_cpu = cpu_seconds(proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(1)
    proc.wait()
    if proc.returncode:
        sys.exit(f"snakemake failed ({proc.returncode})")
    record = dict(
        command=" ".join(command[1:]),
        configfile=configfile,
        wall_seconds=round(time.time() - start, 1),
        snakemake_cpu_seconds=round(main_cpu, 1),
    )
    (work / "results/benchmarks/snakemake.json").write_text(json.dumps(record))


def rule_benchmarks(work: Path, rule: str) -> pd.DataFrame | None:
    """The benchmark files of a rule's jobs, one row each (``job``: the file); None if it ran none."""
    files = sorted((work / "results/benchmarks" / rule).rglob("*.tsv"))
    if not files:
        return None
    frame = pd.concat([pd.read_csv(f, sep="\t").assign(job=str(f.relative_to(work))) for f in files])
    return frame.reset_index(drop=True)


def report(work: Path) -> None:
    record_file = work / "results/benchmarks/snakemake.json"
    record = json.loads(record_file.read_text()) if record_file.exists() else {}
    config = study_config(work, record.get("configfile"))
    if record:
        wall, main = record["wall_seconds"], record["snakemake_cpu_seconds"]
        print(f"run: {wall:.0f} s wall ({wall / 60:.1f} min): {record['command']}")
        print(f"Snakemake's own process: {main:.1f} CPU-s, {100 * main / wall:.1f} % of one core over the run")
    mlp = rule_benchmarks(work, "train_mlp")
    if mlp is None:
        sys.exit(f"no benchmark files of train_mlp under {work / 'results/benchmarks'}: is DIR a finished run?")
    untrained = mlp[mlp.job.str.contains("/ex1d/")]
    grid = mlp.cpu_time.sum()
    startup = len(mlp) * untrained.cpu_time.mean()
    seeds = len(config["seeds"])
    print(
        f"MLP grid: {len(mlp)} jobs, {len(mlp) * seeds} nets, {grid:.0f} CPU-s; an untrained 1.D job "
        f"{untrained.cpu_time.mean():.1f} CPU-s ({seeds} nets); start-up {startup:.0f} CPU-s, "
        f"{100 * startup / grid:.0f} % of the grid"
    )
    cnn = rule_benchmarks(work, "train_cnn")
    if cnn is None:
        return  # a run without the CNN
    threads = config["threads"]["cnn"]
    cpu = {Path(job).stem: seconds for job, seconds in zip(cnn.job, cnn.cpu_time, strict=True)}
    for metrics in sorted((work / "results/ex3").glob("seed*/metrics.csv")):
        row = pd.read_csv(metrics).iloc[0]
        history = pd.read_csv(metrics.with_name("history.csv"))
        n = config.get("limit_train") or 60_000
        n_train = n - int(round(n * config["cnn"]["validation_split"]))  # as train_cnn splits
        images = n_train * len(history)
        images_s = images / row.train_seconds
        # A CPU-second of the whole job (start-up and evaluation included): what a core gave it, even
        # when more jobs than cores shared the machine.
        per_cpu_s = images / cpu[metrics.parent.name]
        print(
            f"CNN {metrics.parent.name}: {row.train_seconds:.0f} s training, {images_s:.0f} images/s "
            f"({threads} threads); {cpu[metrics.parent.name]:.0f} CPU-s, {per_cpu_s:.0f} images a CPU-second, "
            f"{per_cpu_s * TRAIN_MFLOP / 1000:.1f} GFLOP/s a core"
        )
    phase = rule_benchmarks(work, "train_phase")
    print(
        f"CNN jobs: {cnn.cpu_time.sum():.0f} CPU-s; MLP grid {grid:.0f}; phase diagram "
        + (f"{phase.cpu_time.sum():.0f} CPU-s" if phase is not None else "off")
    )


def main() -> None:
    options = parser(__doc__)
    where = options.add_mutually_exclusive_group(required=True)
    where.add_argument("--run", type=Path, help="a clone of the repository: run the default study there")
    where.add_argument("--study", type=Path, help="a clone with a finished default run")
    options.add_argument("--cores", type=int, default=4, help="snakemake --cores (default 4)")
    options.add_argument("--configfile", help="a config file on top of config.yaml (e.g. tests/config/smoke.yaml)")
    options.add_argument("--target", nargs="*", default=[], help="targets, not the whole study (mlp: the MLP grid)")
    args = options.parse_args()
    if args.run:
        run(args.run, args.data_dir, args.cores, args.target, args.configfile)
    report(args.run or args.study)


if __name__ == "__main__":
    main()
