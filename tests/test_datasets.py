"""A second data set: the catalog, the `dataset` key, results side by side, and values typed as users
type them on the command line. The Fashion-MNIST study runs for real, from Debian's IDX files."""

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from conftest import FASHION_TARGETS, ROOT, copy_workflow, job_stats, snakemake
from depthstudy.data import IDX_FILES, catalog, read_idx_bytes
from depthstudy.figures import chance

SMOKE = ["--configfile", "tests/config/smoke.yaml"]


def test_the_catalog_is_the_schemas_list_and_pins_the_real_files(mnist_dir, fashion_dir):
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["properties"]["dataset"]["enum"] == list(catalog())
    for name, folder in (("mnist", mnist_dir), ("fashion_mnist", fashion_dir)):
        entry = catalog()[name]
        assert len(entry["classes"]) == 10 and set(entry["sha256"]) == set(IDX_FILES.values())
        for stem, digest in entry["sha256"].items():
            assert hashlib.sha256(read_idx_bytes(folder / f"{stem}.gz")).hexdigest() == digest, (name, stem)


def test_fashion_mnist_results_sit_beside_mnists_and_leave_them_done(smoke_run, fashion_run):
    mnist, fashion = smoke_run / "results", smoke_run / "results/fashion_mnist"
    for results, key in ((mnist, "mnist"), (fashion, "fashion_mnist")):
        for metrics in (results / "combined/ex1/metrics.csv", results / "combined/ex3/metrics.csv"):
            frame = pd.read_csv(metrics)
            assert frame.columns[0] == "dataset" and set(frame.dataset) == {key}, metrics
    assert (fashion / "data/fashion_mnist.npz").exists() and not (fashion / "data/mnist.npz").exists()
    # the two studies differ (other images), and MNIST's run is still complete after Fashion-MNIST's
    assert not pd.read_csv(mnist / "ex1/tanh/depth6/seed0/metrics.csv").test_accuracy.equals(
        pd.read_csv(fashion / "ex1/tanh/depth6/seed0/metrics.csv").test_accuracy
    )
    assert (smoke_run / "mnist-touched-by-fashion.txt").read_text() == ""  # not one MNIST file written
    # MNIST's own plan is what it was before ("Nothing to be done" unless another test changed it)
    before, after = ((smoke_run / f"mnist-{when}-fashion.txt").read_text() for when in ("before", "after"))
    planned = [set(re.findall(r"output: (\S+)", text)) for text in (before, after)]
    assert planned[0] == planned[1] and not any("fashion" in path for path in planned[1]), after[-3000:]


def test_the_chance_line_is_the_most_frequent_test_class_named(fashion_run):
    classes = pd.read_csv(fashion_run / "results/fashion_mnist/data/classes.csv")
    assert list(classes["class"]) == catalog()["fashion_mnist"]["classes"]
    with np.load(fashion_run / "results/fashion_mnist/data/fashion_mnist.npz") as npz:
        counts = np.bincount(npz["y_test"], minlength=10)
    top = int(np.argmax(counts))
    assert np.sum(counts == counts[top]) == 1  # the smoke set's 500 test images have one most frequent class
    share = counts[top] / counts.sum()
    assert chance(classes) == (pytest.approx(share), f"always '{catalog()['fashion_mnist']['classes'][top]}' "
                                                     f"({share:.4f})")  # fmt: skip
    # the full test set has 1,000 images of each class: no one class is named
    equal = classes.assign(test_share=0.1)
    assert chance(equal)[1] == "always any one of 10 equal classes (0.1000)"


def test_titles_captions_and_headings_name_the_data_set(smoke_run, fashion_run):
    for results, name in ((smoke_run / "results", "MNIST"), (fashion_run / "results/fashion_mnist", "Fashion-MNIST")):
        pngs = list((results / "figures").glob("*.png"))
        assert len(pngs) >= 3, results  # 1.B's two figures and the CNN's at least
        for png in pngs:
            title = Image.open(png).text["Title"]
            if png.name != "ex1d_lecun_activation.png":  # a formula, no data
                assert title.startswith(f"{name}: "), (png, title)
        for md in (results / "tables").glob("*.md"):
            assert f"on {name}" in md.read_text().splitlines()[0], md
    fashion = fashion_run / "results/fashion_mnist/tables"
    # the CNN's table has the report's columns (1.B's has none at the smoke study's depths)
    assert "report accuracy (MNIST)" in (fashion / "ex3_cnn.md").read_text()
    assert "report accuracy |" in (smoke_run / "results/tables/ex3_cnn.md").read_text()
    html = fashion_run / "results/fashion_mnist/report.html"
    snakemake(fashion_run, "--report", str(html), *SMOKE, "--config", "dataset=fashion_mnist", "--", *FASHION_TARGETS)
    text = html.read_text()
    assert "The depth and activation study on Fashion-MNIST" in text and "Han Xiao" in text
    assert "Data: Fashion-MNIST." in text  # the captions of figures and tables
    assert "CC BY-SA" not in text  # MNIST's licence is not Fashion-MNIST's


@pytest.mark.parametrize(
    "typed, planned",
    [
        # lower-case booleans, as the README and config.yaml spell them
        (["tensorboard=true"], {"tensorboard_mlp", "tensorboard_cnn"}),
        (["tensorboard=false"], set()),
        # a nested key: the rest of the block stays as the config file sets it
        (["cnn={seeds: [0, 3]}"], {"train_cnn:2"}),
        (["seeds=[4]"], {"train_mlp:seed4"}),
    ],
)
def test_command_line_values_are_read_as_the_schema_types_them(tmp_path, typed, planned):
    out = snakemake(copy_workflow(tmp_path), "-n", *SMOKE, "--config", "data_dir=/nowhere", *typed).stdout
    stats = job_stats(out)
    for item in planned:
        rule, _, what = item.partition(":")
        if what.isdigit():
            assert stats.get(rule) == int(what), (typed, stats)
        elif what:
            assert re.search(rf"output: .*results/\S+/{what}/metrics.csv", out), typed
        else:
            assert rule in stats, (typed, stats)
    if typed == ["tensorboard=false"]:
        assert not {"tensorboard_mlp", "tensorboard_cnn"} & set(stats)


@pytest.mark.parametrize(
    "typed, message",
    [
        (["verify_checksums=maybe"], r"'maybe' is not of type 'boolean'"),
        (["cnn={seeds: [zero]}"], r"'zero' is not of type 'integer'"),
        (["dataset=cifar10"], r"dataset in --config: 'cifar10' is not one of mnist, fashion_mnist"),
        (["verify_checksums=false", "dataset_name=Fashion MNIST"], r"dataset_name 'Fashion MNIST' names no folder"),
        (["verify_checksums=false", "dataset_name=mnist"], r"dataset_name 'mnist' names no folder"),
    ],
)
def test_a_value_that_is_not_of_its_type_is_still_refused_by_name(tmp_path, typed, message):
    out = snakemake(copy_workflow(tmp_path), "-n", *SMOKE, "--config", "data_dir=/nowhere", *typed, check=False)
    assert out.returncode != 0 and re.search(message, out.stdout), out.stdout[-2000:]


def test_an_unverified_set_is_named_and_kept_apart(tmp_path):
    work = copy_workflow(tmp_path)
    config = ["--config", "data_dir=/nowhere", "verify_checksums=false"]
    custom = snakemake(work, "-n", *SMOKE, *config).stdout
    assert "output: results/custom/data/custom.npz" in custom
    named = snakemake(work, "-n", *SMOKE, *config, "dataset_name=Kuzushiji-MNIST").stdout
    assert "output: results/kuzushiji_mnist/data/kuzushiji_mnist.npz" in named
