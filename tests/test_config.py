"""Bad config is rejected before any job runs, with the key named."""

import copy
import re
import shutil

import jsonschema
import pytest
import yaml
from snakemake.exceptions import WorkflowError
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


# (config change, value, where the error points: the dotted path of the offending value, and the key
# that its message must name where the path alone cannot: an unknown key or a missing one)
CASES = [
    ("typo_key", 1, "", "'typo_key' was unexpected"),
    ("training.widht", 128, "training", "'widht' was unexpected"),
    ("probe.sizes", 3, "probe", "'sizes' was unexpected"),
    ("cnn.epoch", 3, "cnn", "'epoch' was unexpected"),
    ("exercises.ex1.depth", [5], "exercises.ex1", "'depth' was unexpected"),
    ("exercises.ex1.depths", [0], "exercises.ex1.depths.0", None),
    ("exercises.ex1.depths", [], "exercises.ex1.depths", None),
    ("exercises.ex1.depths", "5", "exercises.ex1.depths", None),
    ("exercises.ex1.activations", ["relu", "tanh", "sigmoid", "swish"], "exercises.ex1.activations.3", None),
    ("exercises.ex1.activations", [], "exercises.ex1.activations", None),
    ("exercises.ex1.activations", ["relu", "tanh"], "exercises.ex1.activations", None),
    ("exercises.cure_selu.activations", ["relu"], "exercises.cure_selu.activations", None),
    ("exercises.ex1.learning_rate", -0.1, "exercises.ex1.learning_rate", None),
    ("exercises.cure_batchnorm.widht", 3, "exercises.cure_batchnorm", "'widht' was unexpected"),
    ("training.learning_rate", 0, "training.learning_rate", None),
    ("training.epochs", -1, "training.epochs", None),
    ("training.batch_size", 0, "training.batch_size", None),
    ("training.width", 0, "training.width", None),
    ("training.width", "wide", "training.width", None),
    ("training.batchnorm", "yes", "training.batchnorm", None),
    ("training.optimizer", "sgdd", "training.optimizer", None),
    ("seeds", [], "seeds", None),
    ("seeds", [1, 1], "seeds", None),
    ("seeds", [0.5], "seeds.0", None),
    # one job trains every seed of a grid cell: seeds are study-wide
    ("exercises.ex1.seeds", [0, 1], "exercises.ex1", "'seeds' was unexpected"),
    ("cnn.seeds", [2, 2], "cnn.seeds", None),
    ("limit_train", 60001, "limit_train", None),
    ("limit_test", 10001, "limit_test", None),
    ("cnn.validation_split", 0.7, "cnn.validation_split", None),
    ("plot.context", "huge", "plot.context", None),
    ("exercises.Bad-Name", {"activations": ["relu"], "depths": [5]}, "exercises", "'Bad-Name' does not match"),
    ("training", "DEL", "", "'training' is a required property"),
    ("exercises.ex1d", "DEL", "exercises", "'ex1d' is a required property"),
    ("exercises.cure_he_init", "DEL", "exercises", "'cure_he_init' is a required property"),
]


@pytest.mark.parametrize("path, value, where, names", CASES, ids=[f"{p}={v}" for p, v, _, _ in CASES])
def test_schema_rejects_bad_values_naming_the_key(path, value, where, names):
    with pytest.raises(WorkflowError) as err:
        validate(bad(path, value), SCHEMA)
    error = err.value.__context__  # the jsonschema error that Snakemake's message quotes
    assert isinstance(error, jsonschema.ValidationError)
    assert ".".join(map(str, error.absolute_path)) == where, error.message
    if names:
        assert names in error.message


def test_default_config_is_valid():
    validate(copy.deepcopy(DEFAULT), SCHEMA)


@pytest.mark.parametrize(
    "args, word",
    [
        # the path of the offending value, not just a word that the schema quoted in the message also holds
        (["--config", "training={'width': 0}"], "training.width in --config: 0 is less than the minimum of 1"),
        (["--config", "exercises={'ex1': {'activations': ['swish'], 'depths': [5]}}"], "'swish' is not one of"),
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


# Snakemake's own notices that may come before an error
NOTICES = ("Config file ", "Using workflow specific profile")


@pytest.mark.parametrize(
    "overlay, args, first, also",
    [
        (None, ["--config", "date_dir=/data"], "date_dir in --config: not a key of the top level", "'data_dir'?"),
        (
            {"exercises": {"ex1": {"activations": ["relu", "tanh", "sigmiod"], "depths": [2]}}},
            [],
            "exercises.ex1.activations.2 in mine.yaml: 'sigmiod' is not one of",
            "'sigmoid'?",
        ),
        ({"training": {"widht": 16}}, [], "training.widht in mine.yaml: not a key of training", "'width'?"),
        ({"plot": {"dpi": 0}}, [], "plot.dpi in mine.yaml: 0 is less than the minimum", None),
    ],
)
def test_a_config_error_fits_on_a_screen_and_its_first_line_names_the_key_and_file(
    tmp_path, overlay, args, first, also
):
    work = copy_workflow(tmp_path)
    if overlay:
        (work / "mine.yaml").write_text(yaml.safe_dump(overlay))
        args = ["--configfile", "mine.yaml", *args]
    proc = snakemake(work, "-n", "--cores", "1", *args, check=False)
    lines = proc.stdout.splitlines()
    assert proc.returncode != 0 and len(lines) <= 15, proc.stdout
    error = [line for line in lines if not line.startswith(NOTICES)]
    assert error[0].startswith(first), proc.stdout
    assert also is None or f"did you mean {also}" in error[0]
    # no dump of the config or the schema
    assert "'exercises':" not in proc.stdout and "description" not in proc.stdout


@pytest.mark.parametrize(
    "target, message",
    [
        # a misspelt exercise: the configured ones, and the nearest
        (
            "results/exx1/relu/depth6/seed0/metrics.csv",
            "'exx1' is not an exercise of config.yaml + tests/config/smoke.yaml (did you mean 'ex1'?); "
            "its exercises: ex1, ex1d, ex1d_trained, cure_he_init, cure_batchnorm, cure_selu, cure_gelu_silu, "
            "cure_orthogonal, cure_residual, mechanism_",
        ),
        (
            "results/ex1/tahn/depth6/seed0/metrics.csv",
            "tahn is not in exercises.ex1.activations ['relu', 'tanh', 'sigmoid'] of config.yaml + "
            "tests/config/smoke.yaml (did you mean 'tanh'?)",
        ),
        # outside the grid of the config files in use, not "add it to config.yaml"
        (
            "results/figures/ex1c_max_gradient_depth7.png",
            "7 is not in exercises.ex1.depths [2, 6] of config.yaml + tests/config/smoke.yaml; add it there",
        ),
        ("ex1cc", "'ex1cc' is no target of this workflow (did you mean 'ex1c'?); its named targets: ex1b, ex1c,"),
    ],
)
def test_a_target_outside_the_grid_names_the_config_files_and_the_nearest_name(tmp_path, target, message):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "-n", "--cores", "1", "--configfile", "tests/config/smoke.yaml", "--", target, check=False)
    assert proc.returncode != 0 and "Job stats" not in proc.stdout
    assert message in proc.stdout, proc.stdout[-2000:]
    assert len(proc.stdout.split("Building DAG of jobs...", 1)[1].splitlines()) <= 15
