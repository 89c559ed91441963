"""The resources that the training rules book, from the measured peaks of a finished run.

    python benchmarks/job_sizes.py --study DIR            # print the peaks and what the rules book
    python benchmarks/job_sizes.py --study DIR --write    # and store them in workflow/resources/job_sizes.yaml

DIR is a folder with a finished run of the default study. Every training job wrote a Snakemake
``benchmark:`` file (results/benchmarks/<rule>/...tsv: wall seconds ``s`` and peak resident memory
``max_rss`` in MB); the largest of each rule is its peak. A ``train_mlp`` job trains the seeds of one
grid cell, so its time is stored per net (the job's over the run's number of seeds), and a job books it
times its nets. The rules book ``margin`` times the peak on their first attempt and ``attempt`` times
that on a retry: ``depthstudy.pipeline.booked``, the one formula of the rules and of this table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from pathlib import Path

import pandas as pd
import yaml
from mnist_args import ROOT  # first: it puts the package on sys.path

from depthstudy import pipeline

SIZES = ROOT / "workflow" / "resources" / "job_sizes.yaml"
RULES = ("train_mlp", "train_phase", "train_cnn")
MARGIN = 2


def peaks(study: Path) -> dict[str, dict]:
    """Per training rule: the number of jobs, the longest wall time (per net for train_mlp) and the
    largest peak memory."""
    seeds = len(yaml.safe_load((study / "config.yaml").read_text())["seeds"])
    found = {}
    for rule in RULES:
        files = sorted((study / "results" / "benchmarks" / rule).rglob("*.tsv"))
        if not files:
            raise SystemExit(f"no benchmark files under {study / 'results/benchmarks' / rule}: is DIR a finished run?")
        frame = pd.concat([pd.read_csv(f, sep="\t") for f in files])
        nets = seeds if rule == "train_mlp" else 1
        found[rule] = dict(
            jobs=len(files),
            nets=nets,
            seconds=round(float(frame.s.max()) / nets, 1),
            max_rss_mb=round(float(frame.max_rss.max())),
        )
    return found


def booked(peak: dict, margin: float, attempt: int) -> tuple[int, int]:
    """(runtime in minutes, mem_mb) of one job for one attempt, as the rules book them."""
    return tuple(pipeline.booked(peak, resource, peak["nets"], margin, attempt) for resource in ("runtime", "mem_mb"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", type=Path, required=True, help="a folder with a finished default run")
    parser.add_argument("--write", action="store_true", help=f"store the peaks in {SIZES.relative_to(ROOT)}")
    parser.add_argument("--measured", help="the run's date and machine, for the file (default: today, this machine)")
    args = parser.parse_args()
    found = peaks(args.study)
    print("| rule | jobs | peak s (train_mlp: per net) | peak MB | attempt 1: runtime min, mem_mb | attempt 2 |")
    print("|---|---|---|---|---|---|")
    for rule, peak in found.items():
        first, second = booked(peak, MARGIN, 1), booked(peak, MARGIN, 2)
        print(f"| {rule} | {peak['jobs']} | {peak['seconds']} | {peak['max_rss_mb']} | {first} | {second} |")
    if args.write:
        machine = f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
        source = args.measured or f"default run of {datetime.date.today()}, {machine}"
        header = (
            "# Peak wall time and memory of one job of each training rule, from the benchmark files of a\n"
            "# finished default run; written by  python benchmarks/job_sizes.py --study DIR --write.\n"
            "# train_mlp's seconds are per net: a job books them times the seeds of its grid cell.\n"
            "# The rules book `margin` times these on a first attempt, and `attempt` times that on a retry.\n"
        )
        body = {"measured": source, "margin": MARGIN}
        body.update({rule: {"seconds": p["seconds"], "max_rss_mb": p["max_rss_mb"]} for rule, p in found.items()})
        SIZES.write_text(header + yaml.safe_dump(body, sort_keys=False))
        print(f"wrote {SIZES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
