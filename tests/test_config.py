"""Bad config is rejected before any job runs, with the key named."""

import copy
import re
import shutil

import pytest
import yaml
from snakemake.utils import validate

from conftest import ROOT, copy_workflow, snakemake

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())


def bad(path: str, value):
    """The default config with ``path`` (dot-separated; 'DEL' value deletes) set to ``value``."""
    config = copy.deepcopy(DEFAULT)
    *parents, leaf = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value == "DEL":
        del node[leaf]
    else:
        node[leaf] = value
    return config


# (config change, a word the error must contain)
CASES = [
    ("typo_key", 1, "typo_key"),
    ("training.widht", 128, "widht"),
    ("probe.sizes", 3, "sizes"),
    ("cnn.epoch", 3, "epoch"),
    ("exercises.ex1.depth", [5], "depth"),
    ("exercises.ex1.depths", [0], "['depths']"),
    ("exercises.ex1.depths", [], "depths"),
    ("exercises.ex1.depths", "5", "depths"),
    ("exercises.ex1.activations", ["relu", "swish"], "['activations']"),
    ("exercises.ex1.activations", [], "activations"),
    ("exercises.ex1.learning_rate", -0.1, "learning_rate"),
    ("training.learning_rate", 0, "learning_rate"),
    ("training.epochs", -1, "epochs"),
    ("training.batch_size", 0, "batch_size"),
    ("training.width", 0, "width"),
    ("training.width", "wide", "width"),
    ("training.batchnorm", "yes", "batchnorm"),
    ("training.optimizer", "sgdd", "optimizer"),
    ("seeds", [], "seeds"),
    ("seeds", [1, 1], "seeds"),
    ("seeds", [0.5], "seeds"),
    ("cnn.seeds", [2, 2], "seeds"),
    ("limit_train", 60001, "limit_train"),
    ("limit_test", 10001, "limit_test"),
    ("cnn.validation_split", 0.7, "validation_split"),
    ("plot.context", "huge", "context"),
    ("exercises.Bad-Name", {"activations": ["relu"], "depths": [5]}, "Bad-Name"),
    ("training", "DEL", "training"),
]


@pytest.mark.parametrize("path, value, word", CASES, ids=[f"{p}={v}" for p, v, _ in CASES])
def test_schema_rejects_bad_values_naming_the_key(path, value, word):
    with pytest.raises(Exception) as err:
        validate(bad(path, value), SCHEMA)
    assert word in str(err.value)


def test_default_config_is_valid():
    validate(copy.deepcopy(DEFAULT), SCHEMA)


@pytest.mark.parametrize(
    "args, word",
    [
        (["--config", "training={'width': 0}"], "width"),
        (["--config", "exercises={'ex1': {'activations': ['swish'], 'depths': [5]}}"], "swish"),
        (["--config", "limit_train=100"], "probe.size = 1024 is larger than limit_train = 100"),
    ],
)
def test_snakemake_refuses_bad_config_before_any_job(tmp_path, args, word):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "-n", "--cores", "1", *args, check=False)
    assert proc.returncode != 0
    assert word in proc.stdout
    assert "Job stats" not in proc.stdout and not (work / "results").exists()


def test_configfile_with_depth_zero_and_negative_rate_fails_naming_keys(tmp_path):
    work = copy_workflow(tmp_path)
    for path, value, word in [
        ("exercises.ex1.depths", [0, 5], "depths"),
        ("training.learning_rate", -1, "learning_rate"),
    ]:
        (work / "bad.yaml").write_text(yaml.safe_dump(bad(path, value)))
        proc = snakemake(work, "-n", "--cores", "1", "--configfile", "bad.yaml", check=False)
        assert proc.returncode != 0 and re.search(word, proc.stdout), proc.stdout[-2000:]
    shutil.rmtree(work)


def test_target_outside_the_grid_is_an_error_not_a_training_run(tmp_path):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "-n", "--cores", "1", "results/ex1/lecun/depth5/seed0/metrics.csv", check=False)
    assert proc.returncode != 0
    assert "lecun is not in exercises.ex1.activations" in proc.stdout
    proc = snakemake(work, "-n", "--cores", "1", "results/figures/ex1c_max_gradient_depth7.png", check=False)
    assert proc.returncode != 0 and "7 is not in exercises.ex1.depths" in proc.stdout
