"""The workflow's own logic (depthstudy.pipeline, depthstudy.code_version), without Snakemake."""

import copy
import shutil

import jsonschema
import pytest
import yaml

from conftest import ROOT
from depthstudy import code_version, pipeline
from depthstudy.resources import workflow_value

SCHEMA = workflow_value("schemas/config.schema.yaml")
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())
SMOKE = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())


def first_error(config):
    return jsonschema.Draft202012Validator(SCHEMA).iter_errors(config).__next__()


# --- values from the command line ---


def test_command_line_strings_become_the_types_that_the_schema_gives_their_keys():
    given = {
        "verify_checksums": "false",
        "data_dir": "null",
        "tensorboard": "True",
        "limit_train": "2000",
        "cnn": {"seeds": ["0", "1"], "learning_rate": "0.002"},
        "exercises": {"relu_adam": {"depths": ["5"], "activations": ["relu"], "batchnorm": "false"}},
        "dataset_name": "123",  # a string where the schema wants one
    }
    assert pipeline.typed(given, SCHEMA) == {
        "verify_checksums": False,
        "data_dir": None,
        "tensorboard": True,
        "limit_train": 2000,
        "cnn": {"seeds": [0, 1], "learning_rate": 0.002},
        "exercises": {"relu_adam": {"depths": [5], "activations": ["relu"], "batchnorm": False}},
        "dataset_name": "123",
    }


def test_a_string_that_is_not_of_its_type_is_left_for_the_schema_to_refuse():
    assert pipeline.typed({"verify_checksums": "maybe", "seeds": ["x"]}, SCHEMA) == {
        "verify_checksums": "maybe",
        "seeds": ["x"],
    }


# --- errors that fit on a screen ---

LAYERS = [("config.yaml", DEFAULT), ("tests/config/smoke.yaml", SMOKE)]


def test_a_misspelt_key_names_itself_its_file_and_the_key_it_resembles():
    config = copy.deepcopy(DEFAULT) | {"date_dir": "/data"}
    layers = [*LAYERS, ("--config", {"date_dir": "/data"})]
    message = pipeline.config_error(first_error(config), layers)
    first, *rest = message.splitlines()
    assert first == "date_dir in --config: not a key of the top level (did you mean 'data_dir'?)"
    assert len(rest) == 1 and "data_dir" in rest[0] and "exercises" in rest[0]


def test_many_unknown_keys_still_fit_on_a_screen():
    typos = {f"key{i}": i for i in range(30)}
    message = pipeline.config_error(first_error(copy.deepcopy(DEFAULT) | typos), [*LAYERS, ("mine.yaml", typos)])
    lines = message.splitlines()
    assert len(lines) == pipeline.MAX_UNKNOWN + 2 <= 15
    assert lines[0].startswith("key0 in mine.yaml: not a key of the top level") and "20 more keys" in lines[-2]


def test_a_nested_misspelt_key_is_traced_to_the_file_that_holds_its_block():
    config = copy.deepcopy(DEFAULT)
    config["exercises"]["cure_batchnorm"]["batchnrom"] = True
    overlay = {"exercises": {"cure_batchnorm": {"batchnrom": True}}}
    message = pipeline.config_error(first_error(config), [*LAYERS, ("mine.yaml", overlay)])
    assert message.splitlines()[0] == (
        "exercises.cure_batchnorm.batchnrom in mine.yaml: not a key of exercises.cure_batchnorm "
        "(did you mean 'batchnorm'?)"
    )


def test_a_misspelt_activation_gets_the_nearest_name_and_the_list():
    config = copy.deepcopy(DEFAULT)
    config["exercises"]["ex1"]["activations"] = ["relu", "tanh", "sigmiod"]
    message = pipeline.config_error(first_error(config), LAYERS)
    assert message.startswith("exercises.ex1.activations.2 in tests/config/smoke.yaml: 'sigmiod' is not one of relu,")
    assert message.endswith("(did you mean 'sigmoid'?)") and "\n" not in message


def test_a_value_out_of_range_names_its_key_and_file_without_the_config():
    config = copy.deepcopy(DEFAULT)
    config["training"]["width"] = 0
    message = pipeline.config_error(first_error(config), LAYERS)
    assert message == "training.width in tests/config/smoke.yaml: 0 is less than the minimum of 1"


def test_the_source_is_the_last_layer_that_sets_the_value():
    layers = [("a.yaml", {"x": {"y": 1}}), ("b.yaml", {"x": {"z": 2}}), ("--config", {"w": 1})]
    assert pipeline.source_of(["x", "y"], layers) == "a.yaml"
    assert pipeline.source_of(["x", "z"], layers) == "b.yaml"
    assert pipeline.source_of(["x", "q"], layers) == "b.yaml"  # the last file that has the block
    assert pipeline.source_of(["w"], layers) == "--config"


def test_targets_outside_the_grid_name_the_config_files_and_the_nearest_name():
    files = "config.yaml + tests/config/smoke.yaml"
    with pytest.raises(pipeline.ConfigError) as err:
        pipeline.check_grid(SMOKE, "exx1", "relu", 2, files)
    assert str(err.value) == (
        f"'exx1' is not an exercise of {files} (did you mean 'ex1'?); its exercises: {', '.join(SMOKE['exercises'])}"
    )
    with pytest.raises(pipeline.ConfigError, match=r"^7 is not in exercises.ex1.depths \[2, 6\] of config.yaml \+"):
        pipeline.check_grid(SMOKE, "ex1", "relu", 7, files)
    with pytest.raises(pipeline.ConfigError, match=r"tahn is not in .* \(did you mean 'tanh'\?\); add it there"):
        pipeline.check_grid(SMOKE, "ex1", "tahn", 2, files)
    pipeline.check_grid(SMOKE, "ex1", "tanh", 6, files)


def test_a_cnn_seed_or_a_name_that_is_no_target_is_refused_with_what_exists():
    with pytest.raises(pipeline.ConfigError, match=r"^3 is not in cnn.seeds \[0\] of mine.yaml; add it there"):
        pipeline.check_cnn_seed(SMOKE, 3, "mine.yaml")
    pipeline.check_cnn_seed(SMOKE, 0)
    with pytest.raises(pipeline.ConfigError) as err:
        pipeline.unknown_target("ex1cc", ["ex1b", "ex1c", "all"], ["ex1b", "ex1c", "all", "cnn_table"])
    assert (
        str(err.value)
        == "'ex1cc' is no target of this workflow (did you mean 'ex1c'?); its named targets: ex1b, ex1c, all"
    )


def test_cross_key_checks_name_both_keys():
    config = copy.deepcopy(SMOKE) | {"limit_train": 100}
    with pytest.raises(pipeline.ConfigError, match="probe.size = 256 is larger than limit_train = 100"):
        pipeline.check_config(config)
    with pytest.raises(pipeline.ConfigError, match=r"seeds_b \[1, 5\] shares seeds with seeds \[0, 1\]"):
        pipeline.check_config(copy.deepcopy(SMOKE) | {"seeds_b": [1, 5]})
    config = copy.deepcopy(SMOKE)
    config["exercises"]["cure_selu"]["depths"] = [2]
    with pytest.raises(pipeline.ConfigError, match=r"exercises.cure_selu.depths \[2\] must include 6"):
        pipeline.check_config(config)
    config = copy.deepcopy(SMOKE)
    config["cnn"] |= {"epochs": 2, "warmup_epochs": 2}
    with pytest.raises(pipeline.ConfigError, match="cnn.warmup_epochs = 2 is not below cnn.epochs = 2"):
        pipeline.check_config(config)


# --- grid and labels ---


def test_an_exercise_trains_with_training_overridden_by_its_block_and_says_what_changed():
    assert pipeline.exercise_settings(SMOKE, "cure_he_init") == dict(SMOKE["training"], initializer="he_normal")
    assert pipeline.changed_settings(SMOKE, "cure_he_init") == "initializer he_normal"
    assert pipeline.setting_label(SMOKE, "cure_batchnorm") == "cure_batchnorm: BatchNorm"
    assert pipeline.setting_label(DEFAULT, "cure_residual") == "cure_residual: residual"  # a switch by its name
    # an exercise that changes nothing is labelled by its initializer
    assert pipeline.changed_settings(SMOKE, "ex1") == "initializer glorot_uniform"
    assert pipeline.deepest(SMOKE) == 6 and pipeline.deepest(DEFAULT) == max(DEFAULT["exercises"]["ex1"]["depths"])


def test_an_unverified_set_gets_a_folder_of_its_own_and_never_a_taken_one():
    catalog = workflow_value("resources/datasets.yaml")
    config = dict(SMOKE, data_dir="/x", verify_checksums=False, dataset="mnist", dataset_name="Kuzushiji MNIST")
    assert pipeline.data_set(config, catalog)["key"] == "kuzushiji_mnist"
    assert pipeline.data_set(dict(config, dataset_name=None), catalog)["key"] == "custom"
    for taken in ("Fashion MNIST", "tables", "ex1"):
        with pytest.raises(pipeline.ConfigError, match="names no folder of its own"):
            pipeline.data_set(dict(config, dataset_name=taken), catalog)


def test_the_job_size_formula_is_the_benchmarks_one(monkeypatch):
    import importlib.util

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("job_sizes", ROOT / "benchmarks" / "job_sizes.py")
    job_sizes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job_sizes)
    peak = dict(seconds=69.5, max_rss_mb=1563, nets=5)
    assert job_sizes.booked(peak, 2, 1) == (pipeline.booked(peak, "runtime", 5, 2, 1), 3126) == (12, 3126)
    assert pipeline.booked(peak, "runtime", 5, 2, 2) == 24  # a retry books twice the first attempt


# --- code versions ---


def test_code_text_ignores_comments_docstrings_and_formatting_but_not_code():
    plain = "def f(x):\n    return x + 1\n"
    dressed = '"""Module."""\n# a comment\n\n\ndef f( x ):\n    """Adds one."""\n    return (x+1)  # why\n'
    assert code_version.code_text(plain) == code_version.code_text(dressed)
    assert code_version.code_text(plain) != code_version.code_text(plain.replace("1", "2"))
    # a string that is not a docstring is code: a message or a format
    assert code_version.code_text("x = 1\n'a'\n") != code_version.code_text("x = 1\n'b'\n")


@pytest.fixture()
def workflow_copy(tmp_path):
    """A scratch copy of workflow/ to edit; its code hashes are computed afresh."""
    dest = tmp_path / "workflow"
    shutil.copytree(ROOT / "workflow", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def hashes(workflow):
    code_version.read_python.cache_clear()
    code_version.code_hash.cache_clear()
    scripts = sorted(path.name for path in (workflow / "scripts").glob("*.py"))
    return {script: code_version.code_hash(script, workflow) for script in scripts}


def test_comments_and_descriptions_change_no_code_version(workflow_copy):
    before = hashes(workflow_copy)
    for module in (workflow_copy / "scripts" / "depthstudy").glob("*.py"):
        text = module.read_text().replace('"""', '"""Edited: ', 1)  # the module's docstring
        module.write_text(f"# a comment\n{text}\n# the end\n")
    schema = workflow_copy / "schemas" / "config.schema.yaml"
    schema.write_text("# a comment\n" + schema.read_text().replace("Named MLP exercises", "The MLP exercises"))
    catalog = workflow_copy / "resources" / "datasets.yaml"
    catalog.write_text("# a comment\n" + catalog.read_text())
    assert hashes(workflow_copy) == before


def test_a_value_that_a_module_reads_changes_the_rules_that_run_it(workflow_copy):
    before = hashes(workflow_copy)
    schema = workflow_copy / "schemas" / "config.schema.yaml"
    text = schema.read_text()
    assert "enum: [relu, tanh, sigmoid, lecun, selu, elu, leaky_relu, gelu, silu]" in text
    schema.write_text(text.replace("leaky_relu, gelu, silu]", "leaky_relu, gelu, silu, mish]"))
    after = hashes(workflow_copy)
    changed = {script for script in before if before[script] != after[script]}
    # names.py reads the activations: the tables and figures change, training and data do not
    assert {"plot.py", "table.py"} <= changed
    assert not changed & {"train_mlp.py", "train_cnn.py", "train_phase.py", "prepare_data.py"}


def test_a_code_edit_changes_exactly_the_rules_whose_scripts_import_the_module(workflow_copy):
    before = hashes(workflow_copy)
    models = workflow_copy / "scripts" / "depthstudy" / "models.py"
    models.write_text(models.read_text().replace("N_CLASSES = 10", "N_CLASSES = 10 + 0"))
    after = hashes(workflow_copy)
    changed = {script for script in before if before[script] != after[script]}
    assert {"train_mlp.py", "train_cnn.py", "train_phase.py"} <= changed
    assert not changed & {"plot.py", "table.py", "prepare_data.py", "combine.py"}


def test_an_import_that_the_hash_cannot_follow_is_refused(workflow_copy):
    plot = workflow_copy / "scripts" / "plot.py"
    plot.write_text(plot.read_text() + "\nimportlib.import_module('depthstudy.figures')\n")
    with pytest.raises(ValueError, match="a dynamic import of the package"):
        hashes(workflow_copy)
    plot.write_text(plot.read_text() + "\nfrom depthstudy import nowhere\n")
    with pytest.raises(ValueError, match="imports depthstudy.nowhere, which is not a module file"):
        hashes(workflow_copy)


def test_the_smoke_config_sets_what_each_of_config_yamls_exercises_sets_but_its_sizes():
    """smoke.yaml is also a whole config of its own (a module's, test_module): an exercise that left its
    initializer, optimizer or residual setting to config.yaml would then silently train something else."""
    for name, block in SMOKE["exercises"].items():
        settings = {k: v for k, v in DEFAULT["exercises"][name].items() if k not in ("activations", "depths")}
        assert {k: block.get(k) for k in settings} == settings, name


def test_every_setting_that_an_exercise_block_sets_reaches_its_jobs():
    """A key missing from `training` would be dropped from the block's settings, and its nets would
    silently train as the plain ones (exercise_settings reads `training`'s keys)."""
    config = pipeline.typed(copy.deepcopy(DEFAULT), SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(config)
    for name, block in config["exercises"].items():
        settings = pipeline.exercise_settings(config, name)
        for key, value in block.items():
            if key not in ("activations", "depths"):
                assert settings.get(key, "dropped") == value, f"exercises.{name}.{key}"


def test_the_isometry_block_from_the_command_line_is_typed_and_needs_two_seeds():
    given = {"isometry": {"seeds": ["3", "4"], "target_accuracy": "0.8", "depths": ["40"]}}
    assert pipeline.typed(given, SCHEMA) == {"isometry": {"seeds": [3, 4], "target_accuracy": 0.8, "depths": [40]}}
    block = yaml.safe_load((ROOT / "workflow/configs/isometry_speed.yaml").read_text())["isometry"]
    jsonschema.Draft202012Validator(SCHEMA).validate(DEFAULT | {"isometry": block})
    with pytest.raises(jsonschema.ValidationError, match="should be non-empty|is too short"):
        jsonschema.Draft202012Validator(SCHEMA).validate(DEFAULT | {"isometry": block | {"seeds": [0]}})


@pytest.mark.parametrize("name", ["cnn_20_epochs", "cnn_8_epochs_smoothed"])
def test_a_named_cnn_recipe_sets_every_training_key_so_config_yamls_block_cannot_change_it(name):
    recipe = yaml.safe_load((ROOT / f"workflow/configs/{name}.yaml").read_text())["cnn"]
    # what the recipe leaves to config.yaml: the seeds and the settings that are not the recipe's
    assert set(DEFAULT["cnn"]) - set(recipe) == {"seeds", "l2", "validation_split"}, name
    jsonschema.Draft202012Validator(SCHEMA).validate(DEFAULT | {"cnn": DEFAULT["cnn"] | recipe})
