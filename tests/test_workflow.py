"""The workflow through snakemake itself: dry runs, real data preparation, the smoke study, the report."""

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from conftest import ROOT, copy_workflow, job_stats, snakemake

TRAINING_RULES = {"prepare_data", "train_mlp", "train_cnn"}


def test_lint_passes():
    proc = snakemake(ROOT, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_default_config_dry_run(tmp_path):
    stats = job_stats(snakemake(copy_workflow(tmp_path), "-n", "--cores", "4").stdout)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    # one job per grid cell, for all its seeds
    assert stats["train_mlp"] == sum(len(ex["activations"]) * len(ex["depths"]) for ex in config["exercises"].values())
    assert stats["train_cnn"] == len(config["cnn"]["seeds"])
    assert stats["prepare_data"] == 1


@pytest.mark.parametrize("dataset, results", [("mnist", "results"), ("fashion_mnist", "results/fashion_mnist")])
def test_one_figure_plans_only_what_it_needs(tmp_path, dataset, results):
    target = f"{results}/figures/ex1c_max_gradient_depth20.png"
    out = snakemake(copy_workflow(tmp_path), "-n", target, "--config", f"dataset={dataset}").stdout
    assert job_stats(out) == {
        "prepare_data": 1,
        "train_mlp": 3,
        "combine_probe": 1,
        "plot_ex1c_max_gradient": 1,
        "total": 6,
    }
    assert set(re.findall(r"depth(\d+)/seed", out)) == {"20"}
    assert set(re.findall(r"output: (\S+)/ex1/\w+/depth", out)) == {results}
    if dataset != "mnist":
        return
    out = snakemake(copy_workflow(tmp_path / "d"), "-n", "results/figures/ex1d_gradients_depth40.png").stdout
    assert job_stats(out)["train_mlp"] == 3 and set(re.findall(r"results/(\w+)/\w+/depth(\d+)", out)) == {
        ("ex1d", "40")
    }


def test_prepare_data_on_real_mnist_and_on_a_corrupted_copy(tmp_path, mnist_dir):
    work = copy_workflow(tmp_path / "ok")
    snakemake(work, "--cores", "2", "results/data/mnist.npz", "--config", f"data_dir={mnist_dir}")
    with np.load(work / "results/data/mnist.npz") as npz:
        assert npz["x_train"].shape == (60000, 28, 28) and npz["x_train"].dtype == np.uint8
        assert npz["x_test"].shape == (10000, 28, 28) and npz["y_train"].shape == (60000,)
    assert "SHA-256 pins" in (work / "results/logs/prepare_data.log").read_text()

    bad = tmp_path / "bad-mnist"
    bad.mkdir()
    for f in mnist_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    victim = bad / "t10k-images-idx3-ubyte.gz"
    victim.write_bytes(gzip.compress(gzip.decompress(victim.read_bytes())[:-100]))
    work = copy_workflow(tmp_path / "bad")
    proc = snakemake(work, "--cores", "1", "results/data/mnist.npz", "--config", f"data_dir={bad}", check=False)
    assert proc.returncode != 0
    assert "t10k-images-idx3-ubyte.gz" in proc.stdout
    assert not (work / "results/data/mnist.npz").exists()


def test_smoke_study_outputs(smoke_run):
    results = smoke_run / "results"
    metrics = pd.read_csv(results / "ex1/relu/depth2/seed0/metrics.csv")
    assert list(metrics.columns) == [
        "dataset",
        "exercise",
        "activation",
        "depth",
        "seed",
        "epochs",
        "test_loss",
        "test_accuracy",
        "train_seconds",
        "diverged",
        "device",
    ]
    grads = pd.read_csv(results / "ex1/tanh/depth6/seed1/gradients.csv")
    assert sorted(grads.epoch.unique()) == [0, 1, 2] and grads.layer.max() == 7
    # every per-job CSV says which job wrote it
    keys = ["exercise", "activation", "depth", "seed"]
    for name in ("history", "gradients", "activations"):
        frame = pd.read_csv(results / f"ex1/tanh/depth6/seed1/{name}.csv")
        assert list(frame.columns[:4]) == keys and frame[keys].drop_duplicates().values.tolist() == [
            ["ex1", "tanh", 6, 1]
        ]
    cnn_history = pd.read_csv(results / "ex3/seed0/history.csv")
    assert list(cnn_history.columns[:3]) == ["exercise", "seed", "epoch"] and set(cnn_history.exercise) == {"ex3"}
    table = pd.read_csv(results / "tables/ex1b_test_metrics.csv")
    assert len(table) == 6 and (table.seeds == 2).all()
    assert pd.read_csv(results / "ex1d/lecun/depth6/seed0/history.csv").empty  # untrained
    cnn = pd.read_csv(results / "tables/ex3_cnn.csv")
    assert cnn.params.item() == 1_221_450
    for name in ("claims.md", "comparison_with_report.md"):
        assert (results / "tables" / name).stat().st_size > 200
    claims = pd.read_csv(results / "tables/claims.csv")
    # a claim whose failure the smoke study's nets do not show is "not tested" (claim (e): BatchNorm trains there)
    assert set(claims.verdict) <= {"supported", "not supported", "mixed", "not tested"} and len(claims) == 5
    figures = sorted(p.name for p in (results / "figures").glob("*.png"))
    assert "claims_dead_units_relu.png" in figures and "ex1c_gradient_flow_depth6.png" in figures


def test_smoke_study_puts_theory_and_confidence_beside_every_result(smoke_run):
    results, config = smoke_run / "results", yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())
    theory = pd.read_csv(results / "tables/theory_vs_measured.csv")
    nets = {(name, act, depth) for name, ex in config["exercises"].items() for act in ex["activations"]
            for depth in ex["depths"]}  # fmt: skip
    assert set(theory[["exercise", "activation", "depth"]].itertuples(index=False, name=None)) == nets
    assert theory.dz_predicted.notna().all() and theory.signal_measured.notna().all()
    assert theory.verdict.str.match(r"^(agrees|differs: .+)$").all()
    # the predictions are the mean-field recursion's: Sigmoid loses gradient fast, ReLU+Glorot halves
    relu = theory.set_index(["exercise", "activation", "depth"]).loc[("ex1", "relu", 6)]
    assert relu.dz_predicted == pytest.approx(5 * 0.5 * np.log10(0.5), abs=0.01)
    md = (results / "tables/theory_vs_measured.md").read_text()
    main, residual = md.split("## Residual nets")  # the residual nets' growth laws follow the main table
    assert "Tolerance:" in main and sum(line.startswith("| ") for line in main.splitlines()) == len(theory) + 1
    residual_nets = theory[theory.exercise == "cure_residual"]
    assert sum(line.startswith("| cure_residual |") for line in residual.splitlines()) == len(residual_nets) == 3
    compared = pd.read_csv(results / "tables/comparisons.csv")
    assert {"LeCun's tanh beats Tanh at 6 layers", "Tanh beats ReLU at 6 layers"} <= set(compared.comparison)
    assert (compared.lower <= compared["diff"]).all() and (compared["diff"] <= compared.upper).all()
    assert compared.p.between(0, 1).all() and compared.holds.isin([True, False]).all()
    assert "95 % CI" in (results / "tables/comparisons.md").read_text()
    table = pd.read_csv(results / "tables/ex1b_test_metrics.csv")
    assert (table.test_accuracy_ci_low <= table.test_accuracy_mean).all()
    assert table.test_accuracy_ci95.str.match(r"^\[-?\d\.\d{3}, \d\.\d{3}\]$").all()  # 2 seeds: wide, may pass 0
    for name in ("theory_signal_propagation.png", "ex1c_theory_depth6.png", "ex1d_gradients_depth6.png"):
        assert "MNIST: " in Image.open(results / "figures" / name).text["Title"], name


def test_report_holds_every_figure_and_caption(smoke_run):
    snakemake(smoke_run, "--report", "results/report.html", "--configfile", "tests/config/smoke.yaml")
    html = (smoke_run / "results/report.html").read_text()
    for png in (smoke_run / "results/figures").glob("*.png"):
        assert png.name in html, png.name
    for caption in (ROOT / "workflow/report").glob("*.rst"):
        title = caption.read_text().splitlines()[0].strip()
        title = title.replace('{{ snakemake.config["dataset_name"] }}', "MNIST")  # the front page's
        assert title in html, (caption.name, title)
    # the front page credits the report and MNIST's licence, which every figure and table derives from
    for credit in ("Vangelis Siatiras", "Attribution-Share Alike 3.0", "CITATION.cff"):
        assert credit in html, credit
    # and names everything the study holds beyond the report
    for part in ("theory beside measurement", "Holm-corrected", "trainability phase diagram", "the data set: MNIST"):
        assert part in html, part


def test_plotting_change_reruns_figures_only(smoke_run, mnist_dir):
    overlay = smoke_run / "plot-change.yaml"
    overlay.write_text("plot: {dpi: 61, palette: deep, context: paper}\n")
    args = ["--configfile", "tests/config/smoke.yaml", "plot-change.yaml", "--config", f"data_dir={mnist_dir}"]
    same = job_stats(snakemake(smoke_run, "-n", *args[:2], "--config", f"data_dir={mnist_dir}").stdout + "Job stats:\n")
    assert same == {}, "the finished smoke run should be up to date"
    out = snakemake(smoke_run, "-n", *args).stdout
    stats = job_stats(out)
    assert any(rule.startswith("plot_") for rule in stats)
    assert not TRAINING_RULES & set(stats) and not any(r.startswith(("combine", "train")) for r in stats)


def test_adding_a_seed_reruns_each_mlp_cell_and_only_the_new_cnn_seed(smoke_run, mnist_dir):
    # one MLP job trains every seed of its cell (docs/configuration.md); a CNN job trains one seed
    overlay = smoke_run / "more-seeds.yaml"
    overlay.write_text(
        "seeds: [0, 1, 2]\ncnn: {seeds: [0, 1], epochs: 1, batch_size: 64, optimizer: adam, learning_rate: 0.002,"
        " lr_schedule: cosine, l2: 0.0005, validation_split: 0.1}\n"
    )
    args = ["--configfile", "tests/config/smoke.yaml", overlay.name, "--config", f"data_dir={mnist_dir}"]
    out = snakemake(smoke_run, "-n", *args).stdout
    config = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())
    stats = job_stats(out)
    assert stats["train_mlp"] == sum(len(ex["activations"]) * len(ex["depths"]) for ex in config["exercises"].values())
    assert stats["train_cnn"] == 1 and set(re.findall(r"output: results/ex3/seed(\d)/", out)) == {"1"}


def test_second_snakemake_in_the_same_folder_is_refused(smoke_run, mnist_dir):
    # the first run retrains the (deterministic) smoke CNN and phase rows, one job at a time: long enough
    # (about 25 s) for the second, which needs a few seconds to start, to collide with it
    phase = sorted(
        str(path.relative_to(smoke_run)) for path in (smoke_run / "results/phase").glob("depth*/seed*/*.csv")
    )
    args = ["--cores", "1", "results/ex3/seed0/metrics.csv", *phase, "--configfile", "tests/config/smoke.yaml"]
    args += ["--config", f"data_dir={mnist_dir}", "--forcerun", "train_cnn", "train_phase"]
    first = subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=smoke_run, stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not list((smoke_run / ".snakemake/locks").glob("*")) and time.time() < deadline:
            time.sleep(0.05)
        # --rerun-incomplete: get past the incomplete-file check to the lock itself
        second = snakemake(smoke_run, *args, "--rerun-incomplete", check=False)
        assert first.poll() is None, "the first run ended before the second could collide"
        assert second.returncode != 0 and "Directory cannot be locked" in second.stdout, second.stdout[-2000:]
    finally:
        assert first.wait(timeout=300) == 0


def test_sigint_leaves_no_half_written_csv_and_rerun_matches(tmp_path, smoke_run, mnist_dir):
    work = copy_workflow(tmp_path)
    args = [
        "--cores",
        "2",
        "results/combined/ex1/metrics.csv",
        "--configfile",
        "tests/config/smoke.yaml",
        "--config",
        f"data_dir={mnist_dir}",
    ]
    # A shell starts background jobs with SIGINT ignored, and Python then installs no Ctrl-C handler:
    # give the child the default disposition, as a terminal would.
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while len(list((work / "results/ex1").glob("*/*/*/metrics.csv"))) < 2 and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    done = list((work / "results/ex1").glob("*/*/*/*.csv"))
    for csv in done:
        pd.read_csv(csv)  # every CSV a later rule could see parses whole
    assert not list((work / "results").rglob(".*.tmp*")), "temporary files left behind"
    assert not (work / "results/combined/ex1/metrics.csv").exists()
    snakemake(work, "--unlock", "--configfile", "tests/config/smoke.yaml")
    snakemake(work, *args, "--rerun-incomplete")
    for csv in (smoke_run / "results/ex1").glob("*/*/*/*.csv"):
        mine = pd.read_csv(work / csv.relative_to(smoke_run))
        theirs = pd.read_csv(csv)
        pd.testing.assert_frame_equal(
            mine.drop(columns="train_seconds", errors="ignore"), theirs.drop(columns="train_seconds", errors="ignore")
        )


NET_FILES = ("metrics.csv", "history.csv", "gradients.csv", "activations.csv")


def assert_same_nets(mine: Path, theirs: Path, nets: list[str]) -> None:
    """Each net's four CSVs equal, bit for bit, but for the time its training took."""
    for net in nets:
        for name in NET_FILES:
            a, b = (pd.read_csv(root / "results" / net / name) for root in (mine, theirs))
            pd.testing.assert_frame_equal(
                a.drop(columns="train_seconds", errors="ignore"),
                b.drop(columns="train_seconds", errors="ignore"),
                check_exact=True,
                obj=f"{net}/{name}",
            )


def test_a_net_trained_alone_equals_the_same_net_trained_after_another_in_one_process(tmp_path, smoke_run, mnist_dir):
    # the smoke run's job for this cell trained seed 0 and then seed 1 in one process
    work = copy_workflow(tmp_path)
    net = "ex1/relu/depth6/seed1"
    config = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}", "seeds=[1]"]
    out = snakemake(work, "--cores", "1", *config, "--", f"results/{net}/metrics.csv").stdout
    assert job_stats(out)["train_mlp"] == 1
    assert "[train_mlp ex1/relu/depth6] seed 1: test accuracy" in out and "seed 0:" not in out
    assert_same_nets(work, smoke_run, [net])


def test_a_killed_mlp_job_keeps_its_finished_nets_and_its_rerun_trains_only_the_rest(tmp_path, smoke_run, mnist_dir):
    work = copy_workflow(tmp_path)
    cell = "ex1/tanh/depth6"
    config = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}", "seeds=[0,1,2,3,4]"]
    target = f"results/{cell}/seed0/metrics.csv"
    snakemake(work, "--cores", "1", *config, "--", "results/data/mnist.npz")  # first: the kill must hit training
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", *config, "--", target],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    resume = work / "results" / cell / "resume"
    deadline = time.time() + 300
    while not (resume / "seed1/tag.json").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its job, as a lost node or an OOM kill would
    proc.wait(timeout=60)
    kept = sorted(int(p.name[4:]) for p in resume.glob("seed?") if (p / "tag.json").exists())
    assert 2 <= len(kept) < 5, f"the kill came {'too late' if kept else 'too early'}: {kept}"
    assert not (work / "results" / cell / "seed4/metrics.csv").exists()

    snakemake(work, "--unlock", *config)
    out = snakemake(work, "--cores", "1", "--rerun-incomplete", *config, "--", target).stdout
    log = (work / "results/logs/train_mlp" / cell).with_suffix(".log").read_text()
    assert sorted(int(s) for s in re.findall(r"seed (\d): finished by an earlier attempt", out)) == kept
    trained = sorted(int(s) for s in re.findall(r"seed (\d): test accuracy", log))
    assert trained == sorted(set(range(5)) - set(kept))
    assert not resume.exists(), "the finished nets are removed once the job's outputs are written"
    # the nets are the ones an uninterrupted run trains (the smoke run's seeds 0 and 1)
    assert_same_nets(work, smoke_run, [f"{cell}/seed{seed}" for seed in (0, 1)])


def test_smoke_config_runs_every_exercise_block(smoke_run):
    config = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())
    for name, ex in config["exercises"].items():
        for act in ex["activations"]:
            for depth in ex["depths"]:
                assert (smoke_run / f"results/{name}/{act}/depth{depth}/seed0/activations.csv").exists()


TF_START_UP = re.compile(
    r"oneDNN|cpu_feature_guard|absl::InitializeLog|^[IWE]0000 |This TensorFlow binary|NodeDef mentions"
)


def test_console_shows_progress_and_one_line_per_training_job_and_no_tensorflow_start_up(smoke_run):
    console = (smoke_run / "console.txt").read_text()
    lines = console.splitlines()
    assert not [line for line in lines if TF_START_UP.search(line)]
    assert not [line for line in lines if " INFO " in line]  # a job's INFO lines go to its log only
    jobs = int(re.search(r"^total\s+(\d+)$", console, re.M)[1])  # Snakemake's job stats
    assert f"{jobs} of {jobs} steps (100%) done" in console
    # the phase diagram's jobs: one line per net they train
    phase = [
        line
        for line in lines
        if re.match(r"\[train_phase depth\d+/seed\d+\] sigma_w\^2 [\d.]+: training accuracy", line)
    ]
    assert len(phase) == len(list((smoke_run / "results/phase").glob("depth*/seed*/sigma_w2_*.csv"))) > 0
    # an MLP job trains a grid cell's seeds and has a line for each net
    results = [line for line in lines if re.match(r"\[train_(mlp|cnn) ", line)]
    trained = list((smoke_run / "results").glob("*/*/depth*/seed*/metrics.csv"))
    assert len(results) == len(trained) + 1  # and the CNN
    pattern = r"\] (seed \d+: )?test accuracy \d\.\d{4}, test loss \d+\.\d{4}, \d+\.\d s training$"
    assert all(re.search(pattern, r) for r in results)
    assert "[train_mlp ex1/relu/depth6] seed 1: test accuracy " in console
    assert "[train_cnn seed0] test accuracy " in console
    # ... while the job's log holds its epochs and TensorFlow's own start-up output
    log = (smoke_run / "results/logs/train_mlp/ex1/relu/depth6.log").read_text()
    assert "epoch 2/2" in log and any(TF_START_UP.search(line) for line in log.splitlines())
    # where each part ran, and that op determinism held (on a GPU node the device names the GPU)
    assert "device CPU (policy auto), 1 thread(s), seed 1" in log
    assert re.search(r"devices: weights and the compiled training, probe and evaluation on CPU:0 .*held", log)


def test_summary_has_the_reports_layers_and_parameter_counts(smoke_run):
    """Layer (type), Output Shape and Param # of every layer, as the report's summary of exercise 3 lists them."""
    report = {
        "conv2d_1": ("Conv2D", "(None, 26, 26, 32)", 320),
        "batch_normalization_1": ("BatchNormalization", "(None, 26, 26, 32)", 128),
        "leaky_re_lu_1": ("LeakyReLU", "(None, 26, 26, 32)", 0),
        "conv2d_2": ("Conv2D", "(None, 24, 24, 64)", 18496),
        "batch_normalization_2": ("BatchNormalization", "(None, 24, 24, 64)", 256),
        "dense_1": ("Dense", "(None, 24, 24, 64)", 4160),
        "leaky_re_lu_2": ("LeakyReLU", "(None, 24, 24, 64)", 0),
        "max_pooling2d_1": ("MaxPooling2D", "(None, 12, 12, 64)", 0),
        "dropout_1": ("Dropout", "(None, 12, 12, 64)", 0),
        "flatten_1": ("Flatten", "(None, 9216)", 0),
        "dense_2": ("Dense", "(None, 128)", 1179776),
        "batch_normalization_3": ("BatchNormalization", "(None, 128)", 512),
        "dense_3": ("Dense", "(None, 128)", 16512),
        "leaky_re_lu_3": ("LeakyReLU", "(None, 128)", 0),
        "dropout_2": ("Dropout", "(None, 128)", 0),
        "dense_4": ("Dense", "(None, 10)", 1290),
    }
    text = (smoke_run / "results/ex3/seed0/summary.txt").read_text()
    header = next(line for line in text.splitlines() if line.startswith("Layer (type)"))
    assert "Output Shape" in header and header.rstrip().endswith("Param #")
    found = {}
    for line in text.splitlines():
        match = re.match(r"(\w+) \((\w+)\)\s+(\(None[\d, ]*\))\s+([\d,]+)$", line)
        if match:
            found[match[1]] = (match[2], match[3], int(match[4].replace(",", "")))
    assert found == report
    assert "Total params: 1,221,450" in text and "Non-trainable params: 448" in text
    assert "Trainable params: 1,221,002" in text and "ptimizer" not in text


@pytest.mark.parametrize(
    "path, line",
    [
        ("workflow/scripts/plot.py", "import depthstudy.nowhere"),
        ("workflow/scripts/depthstudy/io.py", "from .nowhere import something"),
        ("workflow/scripts/depthstudy/io.py", "from . import nowhere"),
    ],
)
def test_an_import_that_the_rerun_check_cannot_follow_is_refused(tmp_path, path, line):
    work = copy_workflow(tmp_path)
    with open(work / path, "a") as source:
        source.write(f"\n{line}\n")
    proc = snakemake(work, "-n", check=False)
    assert proc.returncode != 0 and "Job stats" not in proc.stdout
    assert "imports depthstudy.nowhere, which is not a module file" in proc.stdout, proc.stdout[-2000:]


def test_a_config_without_the_reports_exercises_is_refused_naming_them(tmp_path):
    work = copy_workflow(tmp_path)

    def without(*exercises):
        # config.yaml itself: an overlay (--configfile) merges into it and cannot take a block away
        config = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())
        for name in exercises:
            del config["exercises"][name]
        (work / "config.yaml").write_text(yaml.safe_dump(config))

    for required in ("ex1", "ex1d", "ex1d_trained", "cure_he_init", "cure_selu"):
        without(required, "cure_batchnorm")
        proc = snakemake(work, "-n", check=False)
        assert proc.returncode != 0 and "Job stats" not in proc.stdout
        assert f"'{required}' is a required property" in proc.stdout, proc.stdout[-2000:]
    # cure_batchnorm is optional: without it the study plans every output, and no job of it
    without("cure_batchnorm")
    out = snakemake(work, "-n").stdout
    assert "cure_batchnorm" not in out and job_stats(out)["plot_cures_accuracy_by_depth"] == 1


@pytest.fixture(scope="module")
def study_to_edit(tmp_path_factory, smoke_run, mnist_dir) -> Path:
    """A copy of the smoke run (results, their metadata and modification times), brought up to date
    whatever other tests did to the smoke run; each edit below ends with it up to date again."""
    work = tmp_path_factory.mktemp("edits") / "study"
    shutil.copytree(smoke_run, work)
    snakemake(work, "--cores", "2", "--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}")
    return work


@pytest.mark.parametrize(
    "module, check",
    [
        # every figure draws with figures.py; nothing upstream of a figure reruns
        ("figures.py", lambda rules: rules and all(r.startswith("plot_") for r in rules)),
        # the model code: every training job, and everything below them
        ("models.py", lambda rules: {"train_mlp", "train_cnn", "combine_mlp", "metrics_table"} <= rules),
        # tables and combining: no training, no data preparation
        ("tables.py", lambda rules: "combine_mlp" in rules and not rules & TRAINING_RULES),
    ],
)
def test_editing_a_package_module_reruns_exactly_what_runs_it(study_to_edit, mnist_dir, module, check):
    work = study_to_edit
    args = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}"]
    assert "Nothing to be done" in snakemake(work, "-n", *args).stdout
    with open(work / "workflow/scripts/depthstudy" / module, "a") as source:
        source.write("\nEDITED = True\n")  # code, not a comment: comments rerun nothing (test_reruns.py)
    out = snakemake(work, "-n", *args).stdout
    planned = set(job_stats(out)) - {"all", "total"}
    assert check(planned), planned
    if module == "models.py":
        config = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())
        assert job_stats(out)["train_mlp"] == sum(
            len(ex["activations"]) * len(ex["depths"]) for ex in config["exercises"].values()
        )
    assert "Params have changed since last execution" in out
    # an edit that changes no number: --touch keeps the results and records the new code version
    snakemake(work, "--touch", "--cores", "1", *args)
    assert "Nothing to be done" in snakemake(work, "-n", *args).stdout
