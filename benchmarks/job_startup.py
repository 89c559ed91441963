"""What one MLP job spends besides its training loop: the start-up cost, part by part.

    python benchmarks/job_startup.py --data-dir /path/to/mnist

A ``train_mlp`` job trains the seeds of one grid cell in one process. An untrained 1.D job (epochs 0:
build, probe, evaluate, write, for each seed) does nothing but start-up work, so its wall time is the
fixed cost that every MLP job pays on top of its epochs. Each round runs one such job, of three seeds,
in a fresh Python process, the way Snakemake runs a rule's script, and times its parts in the order
``train_mlp`` runs them:

1. python: the interpreter up to the first line of the job;
2. import: TensorFlow, Keras and the package;
3. data load: the prepared .npz (made once beforehand, not timed);
4. first net: set-up (device policy, threads, determinism, seed), the pixels as float32, the model
   built and compiled, the probe's and the test step's first passes, which trace their compiled
   functions;
5. second net, third net: a fresh build's weights copied into the first net's model, its probe and
   evaluation (the traced functions are reused);
6. writing: the CSV files;
7. exit: from the last stamp until the parent sees the process end; the job ends as ``train_mlp`` does,
   with ``logs.finish_job`` (flush, then exit without TensorFlow's teardown).

It prints the median of each part over the rounds and the whole process's wall time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mnist_args import ROOT, parser  # first: it puts the package on sys.path

SCRIPTS = ROOT / "workflow" / "scripts"

# One untrained cell of three seeds, timed part by part; runs in a fresh process, prints its timings as JSON.
JOB = """
import time
stamps = [("python", time.time())]
import sys, json
sys.path.insert(0, {scripts!r})
import numpy as np, pandas as pd, keras, tensorflow as tf
from depthstudy import jobs
from depthstudy.data import load_prepared
from depthstudy.io import write_csv
stamps.append(("import", time.time()))
arrays = load_prepared({npz!r})
stamps.append(("data load", time.time()))
settings = dict(width=128, epochs=0, batch_size=128, optimizer="sgd", learning_rate=0.01,
                initializer="glorot_uniform", batchnorm=False)
nets = jobs.train_mlp_cell(arrays, exercise="ex1d", activation={activation!r}, depth={depth}, seeds=[0, 1, 2],
                           settings=settings, probe_size=1024, probe_seed=0)
frames = {{}}
for name, (seed, net) in zip(("first net", "second net", "third net"), nets):
    frames[seed] = net
    stamps.append((name, time.time()))
for seed, net in frames.items():
    for name, frame in net.items():
        write_csv(frame, {out!r} + f"/seed{{seed}}_{{name}}.csv")
stamps.append(("writing", time.time()))
print(json.dumps(stamps))
from depthstudy.logs import finish_job
finish_job()  # as the training scripts end
"""


def one_job(npz: Path, out: Path, activation: str, depth: int) -> dict[str, float]:
    """Seconds of each part of one untrained job, and its whole process."""
    code = JOB.format(scripts=str(SCRIPTS), npz=str(npz), out=str(out), activation=activation, depth=depth)
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    end = time.time()
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    stamps = json.loads(proc.stdout.strip().splitlines()[-1])
    parts, previous = {}, start
    for name, stamp in stamps:
        parts[name] = stamp - previous
        previous = stamp
    parts["exit"] = end - previous
    parts["whole process"] = end - start
    return parts


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--depth", type=int, default=20, help="hidden layers of the untrained network")
    args = options.parse_args()
    from depthstudy.data import catalog, prepare

    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "mnist.npz"
        prepare(npz, data_dir=args.data_dir, sha256=catalog()["mnist"]["sha256"])
        rounds = [one_job(npz, Path(tmp), "tanh", args.depth) for _ in range(args.rounds)]
    names = list(rounds[0])
    print(
        f"untrained tanh MLP cell, depth {args.depth}, width 128, 3 seeds, 1 thread; "
        f"median of {args.rounds} fresh processes"
    )
    print("| part | seconds | share |")
    print("|---|---|---|")
    whole = statistics.median(r["whole process"] for r in rounds)
    for name in names:
        seconds = statistics.median(r[name] for r in rounds)
        share = "" if name == "whole process" else f"{100 * seconds / whole:.0f} %"
        print(f"| {name} | {seconds:.2f} | {share} |")


if __name__ == "__main__":
    main()
