"""The workflow's own logic beneath its rules: the config read and checked, its grid, labels and
bookings.

The rule files (workflow/rules/*.smk) import this module; no rule script does. Every function takes
the config (or the part it needs) as an argument, so that the tests call them without Snakemake.
"""

from __future__ import annotations

import difflib
import math
import re

import jsonschema

from depthstudy.names import GRID, HE_CURE, LECUN, SELU_CURE, UNTRAINED
from depthstudy.resources import workflow_value

# The report's names for the tables of its exercises; any other exercise gets {exercise}_test_metrics.
REPORT_TABLE_NAMES = {GRID: "ex1b_test_metrics", UNTRAINED: "ex1d_untrained_metrics", LECUN: "ex1d_trained_metrics"}
# The folders in (or as) results/ that are not exercises: the CNN's, the stages', the other data
# sets'. The schema keeps exercise names off them.
RESERVED: list[str] = workflow_value(
    "schemas/config.schema.yaml", "properties", "exercises", "propertyNames", "not", "enum"
)


# --- Values from the command line -------------------------------------------------------------------
# Snakemake's --config reads `False` as a boolean but `false` as a string, and everything inside
# {...} or [...] as strings: `cnn={seeds: [0]}` gives ["0"]. Each string is read as the type that the
# schema asks for at its place, so that `verify_checksums=false`, `data_dir=null` and
# `cnn="{seeds: [0]}"` mean what they say. A string that is not of such a type is left alone, for the
# schema to refuse with its key.

TRUE_FALSE = {"true": True, "false": False}
NULLS = {"null", "none", "~"}
INTEGER = re.compile(r"[+-]?\d+")


def resolved(schema: dict, root: dict) -> dict:
    """The schema at one place, its $ref followed (and merged with the keys beside the $ref)."""
    while "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        local = {k: v for k, v in schema.items() if k != "$ref"}
        merged = {**target, **local}
        if "properties" in target and "properties" in local:
            merged["properties"] = {**target["properties"], **local["properties"]}
        schema = merged
    return schema


def _typed_string(value: str, types: list[str]):
    if "boolean" in types and value.lower() in TRUE_FALSE:
        return TRUE_FALSE[value.lower()]
    if "integer" in types and INTEGER.fullmatch(value):
        return int(value)
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            pass
    return value


def typed(value, schema: dict, root: dict | None = None):
    """``value`` with every string read as the type that its place in the schema asks for."""
    root = schema if root is None else root
    schema = resolved(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        default = extra if isinstance(extra, dict) else {}
        return {key: typed(item, properties.get(key, default), root) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item, schema.get("items", {}), root) for item in value]
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(value, str) and "null" in types and value.lower() in NULLS:
        return None  # data_dir=null: back to Keras' download
    if isinstance(value, str) and "string" not in types and types:
        return _typed_string(value, types)
    return value


# --- Errors that fit on a screen --------------------------------------------------------------------


# the most unknown keys that an error lists one a line, so that it stays on a screen
MAX_UNKNOWN = 10


class ConfigError(ValueError):
    """A config value that the study cannot run with; the message names the key and its file."""


def did_you_mean(word, choices) -> str:
    """' (did you mean 'x'?)' for the closest of ``choices``, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def source_of(path, layers) -> str:
    """The config file (or '--config') that set the value at ``path`` last: ``layers`` are (name,
    values) in the order that Snakemake merges them. Where no layer holds the whole path, the one that
    holds most of it (a misspelt key's parent block)."""
    best, depth = layers[0][0] if layers else "the config", -1
    for name, values in layers:
        node, found = values, 0
        for key in path:
            if not isinstance(node, dict) or key not in node:
                break
            node, found = node[key], found + 1
        if found >= depth:
            best, depth = name, found
    return best


def _place(path) -> str:
    return ".".join(map(str, path)) or "the top level"


def config_error(error: jsonschema.ValidationError, layers) -> str:
    """A schema error in a few lines: the key, the file that set it, what is wrong, and the nearest
    allowed name where a name was misspelt. Never the config or the schema themselves."""
    path = list(error.absolute_path)
    where = _place(path)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        known = error.instance if isinstance(error.instance, dict) else {}
        unknown = [key for key in known if key not in allowed]
        lines = [
            f"{where + '.' if path else ''}{key} in {source_of([*path, key], layers)}: not a key of "
            f"{where}{did_you_mean(key, allowed)}"
            for key in unknown[:MAX_UNKNOWN]
        ]
        if len(unknown) > MAX_UNKNOWN:
            lines.append(f"and {len(unknown) - MAX_UNKNOWN} more keys that {where} does not have")
        if allowed:
            lines.append(f"the keys of {where}: {', '.join(allowed)}")
        return "\n".join(lines)
    source = source_of(path, layers)
    if error.validator == "enum":
        options = error.validator_value
        hint = did_you_mean(error.instance, options)
        return f"{where} in {source}: {error.instance!r} is not one of {', '.join(map(str, options))}{hint}"
    if error.validator == "required":
        return f"{where} in {source}: {error.message}"
    value = repr(error.instance)
    if len(value) > 200:
        value = value[:200] + " ..."
    return f"{where} in {source}: {error.message if len(error.message) <= 300 else value}"


# --- The grid ---------------------------------------------------------------------------------------


def config_files(layers) -> str:
    """The config files in use, in Snakemake's order, for messages: 'config.yaml + tests/x.yaml'."""
    return " + ".join(name for name, _ in layers)


def exercise(config: dict, name: str, files: str = "the config") -> dict:
    """The block of exercise ``name``; an error listing the configured exercises if there is none."""
    exercises = config["exercises"]
    if name not in exercises:
        raise ConfigError(
            f"{name!r} is not an exercise of {files}{did_you_mean(name, exercises)}; "
            f"its exercises: {', '.join(exercises)}"
        )
    return exercises[name]


def check_grid(config: dict, name: str, activation: str, depth: int, files: str = "the config") -> None:
    """A target outside the configured grid is an error, not a training run."""
    block = exercise(config, name, files)
    for key, value in (("activations", activation), ("depths", depth)):
        if value not in block[key]:
            raise ConfigError(
                f"{value} is not in exercises.{name}.{key} {block[key]} of {files}"
                f"{did_you_mean(value, block[key]) if key == 'activations' else ''}; "
                "add it there to train it"
            )


def check_cnn_seed(config: dict, seed: int, files: str = "the config") -> None:
    """A CNN seed that the config does not list is an error, not a training run."""
    if seed not in config["cnn"]["seeds"]:
        raise ConfigError(f"{seed} is not in cnn.seeds {config['cnn']['seeds']} of {files}; add it there to train it")


def unknown_target(name: str, named, rules) -> None:
    """A target that is neither a rule nor a file that a rule makes: an error naming the nearest of
    the ``rules`` that a plain name can ask for, and listing the ``named`` targets (the study's parts)."""
    raise ConfigError(
        f"{name!r} is no target of this workflow{did_you_mean(name, rules)}; its named targets: {', '.join(named)}"
    )


def exercise_settings(config: dict, name: str) -> dict:
    """The `training` defaults overridden by the exercise block: what one job of it trains with."""
    block = config["exercises"][name]
    return {key: block.get(key, default) for key, default in config["training"].items()}


def changed_settings(config: dict, name: str) -> str:
    """What an exercise trains with that differs from `training` (or its initializer), in words."""
    settings = exercise_settings(config, name)
    changed = {k: v for k, v in settings.items() if v != config["training"][k]}
    words = [
        "BatchNorm" if key == "batchnorm" else key if value is True else f"{key} {value}"
        for key, value in (changed or {"initializer": settings["initializer"]}).items()
    ]
    return ", ".join(words)


def train_note(config: dict, name: str) -> str:
    """An exercise's training in words, for titles."""
    s = exercise_settings(config, name)
    return (
        f"{s['epochs']} epochs, {s['optimizer'].upper()} lr {s['learning_rate']}, batch {s['batch_size']}, "
        f"width {s['width']}, {len(config['seeds'])} seeds"
    )


def cnn_settings(config: dict) -> dict:
    """What one CNN job trains with: the `cnn` block without its seed list, so that adding a seed
    does not invalidate (and retrain) the seeds already done."""
    return {key: value for key, value in config["cnn"].items() if key != "seeds"}


def cnn_recipe(config: dict) -> str:
    """The CNN's training recipe in words, for titles."""
    cnn = config["cnn"]
    warmup = f"{cnn['warmup_epochs']:g}-epoch warm-up, " if cnn.get("warmup_epochs") else ""
    shift = f", shifts up to {cnn['shift_pixels']} px" if cnn["shift_pixels"] else ""
    smoothing = f", label smoothing {cnn['label_smoothing']:g}" if cnn.get("label_smoothing") else ""
    rate = f"{warmup}{cnn['lr_schedule']} rate, batch {cnn['batch_size']}{shift}{smoothing}"
    return f"{plural(cnn['epochs'], 'epoch')} of {cnn['optimizer']} ({rate})"


def plural(n: int, word: str) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def setting_label(config: dict, name: str) -> str:
    """An exercise in a legend: its name and ``changed_settings``."""
    return f"{name}: {changed_settings(config, name)}"


def deepest(config: dict) -> int:
    """The deepest depth of the report's grid: where claims.md and the cures compare networks."""
    return max(config["exercises"][GRID]["depths"])


def check_config(config: dict) -> None:
    """Checks across keys, before any job runs; each error names the key."""
    limit = config.get("limit_train")
    if limit is not None and config["probe"]["size"] > limit:
        raise ConfigError(
            f"probe.size = {config['probe']['size']} is larger than limit_train = {limit}: "
            "the probe batch is drawn from the training images"
        )
    seeds_b = config.get("seeds_b") or []
    if set(config["seeds"]) & set(seeds_b):
        raise ConfigError(f"seeds_b {seeds_b} shares seeds with seeds {config['seeds']}: the two sets must be disjoint")
    cnn = config["cnn"]
    if cnn.get("warmup_epochs", 0) >= cnn["epochs"] > 0:
        raise ConfigError(
            f"cnn.warmup_epochs = {cnn['warmup_epochs']} is not below cnn.epochs = {cnn['epochs']}: "
            "the rate would never reach cnn.learning_rate"
        )
    for name, block in config["exercises"].items():
        if block.get("epochs", config["training"]["epochs"]) == 0 and block.get("batchnorm"):
            raise ConfigError(f"exercises.{name}: batchnorm with epochs 0 has no batch statistics")
        if block.get("initializer", config["training"].get("initializer")) == "orthogonal":
            from depthstudy.theory import critical_sigma_w2  # numpy and scipy: only where it is asked for

            for activation in block["activations"]:
                if not math.isfinite(critical_sigma_w2(activation, 0.0)):
                    raise ConfigError(
                        f"exercises.{name}: initializer orthogonal sets its gain at the activation's order-to-chaos "
                        f"boundary, and {activation} has none without biases; give it another initializer"
                    )
    for name in (HE_CURE, SELU_CURE):
        depths = config["exercises"][name]["depths"]
        if deepest(config) not in depths:
            raise ConfigError(
                f"exercises.{name}.depths {depths} must include {deepest(config)}, "
                f"the deepest of exercises.{GRID}.depths: claims.md compares the two there"
            )


def table_names(exercises) -> dict[str, str]:
    """Each exercise's test-metrics table: the report's name for its own, {exercise}_test_metrics else."""
    return {name: REPORT_TABLE_NAMES.get(name, f"{name}_test_metrics") for name in exercises}


# --- The data set -----------------------------------------------------------------------------------


def data_set(config: dict, catalog: dict) -> dict:
    """The data set of this run: `key` (its results folder and metrics.csv's `dataset` column),
    `name` (for titles), `classes`, and, for a known set, its Keras download and SHA-256 pins.

    A set is the catalog's when Keras downloads it or its pins are checked. With verify_checksums
    false, data_dir holds some other MNIST-format set: its name is dataset_name (or "custom data
    set"), its key that name as a folder name, and its classes its labels: a folder of its own in
    results/, or results/custom without a name."""
    if config["data_dir"] is None or config["verify_checksums"]:
        entry = catalog[config["dataset"]]
        return dict(entry, key=config["dataset"], name=config["dataset_name"] or entry["name"])
    name = config["dataset_name"] or "custom data set"
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") if config["dataset_name"] else "custom"
    if key in {*catalog, *config["exercises"], *RESERVED} - {"custom"} or not key:
        raise ConfigError(
            f"dataset_name {name!r} names no folder of its own: as results/{key} it would share a data set "
            "or folder of MNIST's results; an unverified set needs another dataset_name"
        )
    return dict(key=key, name=name, classes=[str(label) for label in range(10)], keras=None, sha256=None)


# --- What a training job books ----------------------------------------------------------------------


def booked(peak: dict, resource: str, nets: int, margin: float, attempt: int) -> int:
    """Runtime (minutes) or mem_mb of one job that trains ``nets`` nets one after another, on its
    ``attempt``-th try: the measured peak (seconds per net, max_rss_mb) times ``margin`` times
    ``attempt``, so that a job that ran out of time or memory comes back with more."""
    measured = {"runtime": peak["seconds"] * nets / 60, "mem_mb": peak["max_rss_mb"]}[resource]
    return math.ceil(measured * margin * attempt)
