# Helpers for every stage. The grid of each exercise, its merged settings, the checks that need
# more than the schema (cross-key limits, targets outside the configured grid), and the code version
# of each rule.

import ast
import hashlib
import math
import os
import re
from pathlib import Path

import yaml

# This workflow's own folder (workflow/), wherever Snakemake runs: in the checkout, or in another
# folder that uses the workflow as a module. Paths into it are made from here, never from the
# working directory.
WORKFLOW_DIR = Path(workflow.current_basedir).parent

# The data sets that `dataset` can name: their names, Keras downloads, SHA-256 pins and classes.
CATALOG = yaml.safe_load((WORKFLOW_DIR / "resources" / "datasets.yaml").read_text())


# MNIST's results/ holds these folders beside one per exercise (the schema keeps exercises off them).
MNIST_FOLDERS = (
    "data",
    "figures",
    "tables",
    "logs",
    "benchmarks",
    "combined",
    "tensorboard",
    "theory",
    "ex3",
    "phase",
)


def data_set():
    """The data set of this run: `key` (its results folder and metrics.csv's `dataset` column),
    `name` (for titles), `classes`, and, for a known set, its Keras download and SHA-256 pins.

    A set is the catalog's when Keras downloads it or its pins are checked. With verify_checksums
    false, data_dir holds some other MNIST-format set: its name is dataset_name (or "custom data
    set"), its key that name as a folder name, and its classes its labels."""
    known = config["data_dir"] is None or config["verify_checksums"]
    if known:
        entry = CATALOG[config["dataset"]]
        return dict(
            entry, key=config["dataset"], name=config["dataset_name"] or entry["name"]
        )
    name = config["dataset_name"] or "custom data set"
    key = (
        re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        if config["dataset_name"]
        else "custom"
    )
    # the folders in (or as) results/ that are not this set's
    taken = {*CATALOG, *config["exercises"], *MNIST_FOLDERS}
    if key in taken or not key:
        raise ValueError(
            f"dataset_name {name!r} names no folder of its own: as results/{key} it would share a data set "
            "or folder of MNIST's results; an unverified set needs another dataset_name"
        )
    classes = [str(label) for label in range(10)]
    return dict(key=key, name=name, classes=classes, keras=None, sha256=None)


DATA = data_set()
# resolved, for the HTML report's front page, which sees only the config
config["dataset_name"] = DATA["name"]
# Where this run's files go: results/ for MNIST, results/<key>/ for any other set, so that the study
# of one data set never overwrites another's. The same tree inside.
RESULTS = "results" if DATA["key"] == "mnist" else f"results/{DATA['key']}"


def results(path):
    """``path`` inside this run's results folder."""
    return f"{RESULTS}/{path}"


# What the training rules book: the measured peak of one job (benchmarks/job_sizes.py) times a margin,
# and on a retry `attempt` times that, so a job that ran out of time or memory comes back with more.
JOB_SIZES = yaml.safe_load((WORKFLOW_DIR / "resources" / "job_sizes.yaml").read_text())


def booked(rule, resource, nets=1):
    """A resource function of `attempt`: runtime (minutes) or mem_mb for one job of `rule`, which
    trains `nets` nets one after another (its measured seconds are per net)."""
    peak = JOB_SIZES[rule]
    measured = {"runtime": peak["seconds"] * nets / 60, "mem_mb": peak["max_rss_mb"]}[
        resource
    ]
    return lambda wildcards, attempt: math.ceil(
        measured * JOB_SIZES["margin"] * attempt
    )


# The training jobs' environment under --sdm conda: TensorFlow's CUDA build with device gpu.
TRAINING_ENV = f"../../envs/training{'-gpu' if config['device'] == 'gpu' else ''}.yaml"

EXERCISES = config["exercises"]
ACTIVATIONS = sorted({a for ex in EXERCISES.values() for a in ex["activations"]})


def check_config():
    """Checks across keys, before any job runs; each error names the key."""
    limit = config.get("limit_train")
    if limit is not None and config["probe"]["size"] > limit:
        raise ValueError(
            f"probe.size = {config['probe']['size']} is larger than limit_train = {limit}: "
            "the probe batch is drawn from the training images"
        )
    for name, ex in EXERCISES.items():
        if ex.get("epochs", config["training"]["epochs"]) == 0 and ex.get("batchnorm"):
            raise ValueError(
                f"exercises.{name}: batchnorm with epochs 0 has no batch statistics"
            )
    deepest = max(EXERCISES["ex1"]["depths"])
    for name in ("cure_he_init", "cure_selu"):
        if deepest not in EXERCISES[name]["depths"]:
            raise ValueError(
                f"exercises.{name}.depths {EXERCISES[name]['depths']} must include {deepest}, "
                "the deepest of exercises.ex1.depths: claims.md compares the two there"
            )


check_config()


# The MLPs' seeds, the same for every exercise: one job trains all the seeds of a grid cell.
SEEDS = config["seeds"]
# A trained MLP's files, in the order its job writes them (metrics.csv last), and its folder.
MLP_FILES = ("history", "gradients", "activations", "metrics")
MLP_NET = "{exercise}/{activation}/depth{depth}/seed{seed}"


def mlp_file(kind):
    """The pattern of one kind of per-net MLP file."""
    return results(f"{MLP_NET}/{kind}.csv")


def mlp_cell_files(kind):
    """One kind of per-net file of every seed of a cell: the outputs of one train_mlp job."""
    return expand(
        mlp_file(kind),
        exercise="{exercise}",
        activation="{activation}",
        depth="{depth}",
        seed=SEEDS,
    )


def exercise_settings(exercise):
    """The `training` defaults overridden by the exercise block: what one job of it trains with."""
    ex = EXERCISES[exercise]
    return {key: ex.get(key, default) for key, default in config["training"].items()}


def cnn_settings():
    """What one CNN job trains with: the `cnn` block without its seed list, so that adding a seed
    does not invalidate (and retrain) the seeds already done."""
    return {key: value for key, value in config["cnn"].items() if key != "seeds"}


def cnn_recipe():
    """The CNN's training recipe in words, for titles."""
    cnn = config["cnn"]
    shift = f", shifts up to {cnn['shift_pixels']} px" if cnn["shift_pixels"] else ""
    return f"{cnn['epochs']} epochs of {cnn['optimizer']} ({cnn['lr_schedule']} rate{shift})"


def check_grid(wildcards):
    """A target outside the configured grid is an error, not a training run."""
    ex = EXERCISES[wildcards.exercise]
    for key, value in (
        ("activations", wildcards.activation),
        ("depths", int(wildcards.depth)),
    ):
        allowed = ex[key]
        if value not in allowed:
            raise ValueError(
                f"{value} is not in exercises.{wildcards.exercise}.{key} {allowed}; "
                "add it to config.yaml to train it"
            )


def mlp_outputs(kind, exercise, depth=None):
    """Per-job files of one kind (metrics, history, gradients, activations) of an exercise."""
    ex = EXERCISES[exercise]
    return expand(
        mlp_file(kind),
        exercise=exercise,
        activation=ex["activations"],
        depth=ex["depths"] if depth is None else [depth],
        seed=SEEDS,
    )


def data_for_cnn(wildcards):
    if int(wildcards.seed) not in config["cnn"]["seeds"]:
        raise ValueError(
            f"{wildcards.seed} is not in cnn.seeds {config['cnn']['seeds']}; add it to config.yaml"
        )
    return rules.prepare_data.output.npz


def data_in_grid(wildcards):
    check_grid(wildcards)
    return rules.prepare_data.output.npz


# The trainability phase diagram's block (workflow/rules/phase.smk); None turns it off.
PHASE = config.get("phase")
PHASE_LABELS = (
    [f"{value:g}" for value in PHASE["sigma_w2"]] if PHASE else []
)  # 1.75, 2 in file names


PLOT = config["plot"]
FIG = results("figures")


def train_note(exercise):
    s = exercise_settings(exercise)
    return (
        f"{s['epochs']} epochs, {s['optimizer'].upper()} lr {s['learning_rate']}, batch {s['batch_size']}, "
        f"width {s['width']}, {len(SEEDS)} seeds"
    )


def depth_figures(name, exercise):
    return expand(
        f"{FIG}/{name}_depth{{depth}}.png", depth=EXERCISES[exercise]["depths"]
    )


# The schema requires the report's exercises (ex1, ex1d, ex1d_trained) and the two cures that
# claims.md reads (cure_he_init, cure_selu); any other cure_* block joins the cures figure.
DEEPEST = max(EXERCISES["ex1"]["depths"])
CURES = [name for name in EXERCISES if name.startswith("cure_")]


def setting_label(exercise):
    """An exercise in a legend: what it trains with that differs from `training` (or its init)."""
    settings = exercise_settings(exercise)
    changed = {k: v for k, v in settings.items() if v != config["training"][k]}
    words = [
        "BatchNorm" if key == "batchnorm" else f"{key} {value}"
        for key, value in (changed or {"initializer": settings["initializer"]}).items()
    ]
    return f"{exercise}: {', '.join(words)}"


def combined(kind, exercise, depths):
    return expand(
        getattr(rules.combine_probe.output, kind), exercise=exercise, depth=depths
    )


def all_probe(kind):
    """The combined probe statistics of every exercise and depth."""
    return [
        path for ex in EXERCISES for path in combined(kind, ex, EXERCISES[ex]["depths"])
    ]


# The report's names for the tables of its exercises; any other exercise gets {exercise}_test_metrics.
REPORT_TABLE_NAMES = {
    "ex1": "ex1b_test_metrics",
    "ex1d": "ex1d_untrained_metrics",
    "ex1d_trained": "ex1d_trained_metrics",
}
TABLE_NAME = {ex: REPORT_TABLE_NAMES.get(ex, f"{ex}_test_metrics") for ex in EXERCISES}
TABLE_EXERCISE = {table: ex for ex, table in TABLE_NAME.items()}


def table_files(name):
    """A table's two outputs: the CSV (in the HTML report) and its Markdown twin."""
    return dict(
        csv=report(
            results(f"tables/{name}.csv"),
            caption="../report/table.rst",
            category="Tables",
        ),
        md=results(f"tables/{name}.md"),
    )


def table_md(exercise):
    """The Markdown table of an exercise's test metrics."""
    return expand(rules.metrics_table.output.md, table=TABLE_NAME[exercise])


REFERENCE = os.path.relpath(WORKFLOW_DIR / "resources" / "report_values.csv")
# The report's numbers are MNIST's: beside another data set's results, their labels say so.
REPORT_SUFFIX = "" if DATA["key"] == "mnist" else " (MNIST)"
REPORT_LABEL = f"the report{REPORT_SUFFIX}"


# Reruns follow the code. Snakemake reruns a job when its rule's script is newer than the job's
# outputs (modification time), but not when a module of the package that the script imports
# changes: edit models.py and it would answer "Nothing to be done" over results that no longer match
# the code. So every rule has a param `code`, a hash of the content of its script, of every
# depthstudy module it imports, directly or through other modules (read from their import
# statements, so the list cannot fall behind the code), and of every workflow file those modules
# read themselves (each declares them in a tuple `RESOURCES` of paths under workflow/). Changing a
# param reruns a job. A param rather than the files as inputs: it follows content, not modification
# times, so a fresh clone, a checkout or a copy reruns nothing, and no path to the package has to
# exist in the folder the workflow runs in (as when it is used as a module from another folder).
SCRIPTS = WORKFLOW_DIR / "scripts"
PACKAGE = SCRIPTS / "depthstudy"
_DEPENDENCIES, _CODE_HASHES = {}, {}  # per file and per script, read once per run


def _module(path, name):
    """The package module ``name`` imported in ``path``; an error if it is not a module file."""
    found = PACKAGE / f"{name}.py"
    if not found.exists():
        raise ValueError(
            f"{path}: imports depthstudy.{name}, which is not a module file of {PACKAGE}; "
            "code_hash (workflow/rules/common.smk) follows module imports only"
        )
    return found


def _dependencies(path):
    """The package modules and workflow files that one Python file uses: its imports of depthstudy
    (``import depthstudy.x``, ``from depthstudy import x``, ``from depthstudy.x import y``, and, inside
    the package, relative imports), anywhere in it, and its RESOURCES. Read once per file and run.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    inside = path.parent == PACKAGE
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("depthstudy."):
                    found.add(_module(path, alias.name.split(".")[1]))
                elif alias.name == "depthstudy":
                    found.add(PACKAGE / "__init__.py")
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level and inside:  # from . import x, from .x import y
                names = [source] if source else [alias.name for alias in node.names]
            elif node.level == 0 and source == "depthstudy":
                names = [alias.name for alias in node.names]
            elif node.level == 0 and source.startswith("depthstudy."):
                names = [source.split(".")[1]]
            else:
                continue
            found.update(_module(path, name.split(".")[0]) for name in names)
        elif (
            isinstance(node, ast.Call)
            and "depthstudy" in ast.unparse(node)
            and any(
                word in ast.unparse(node.func)
                for word in ("import_module", "__import__")
            )
        ):
            raise ValueError(
                f"{path}, line {node.lineno}: a dynamic import of the package; code_hash cannot follow it"
            )
        elif isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "RESOURCES" for t in node.targets
        ):
            found.update(WORKFLOW_DIR / item for item in ast.literal_eval(node.value))
    _DEPENDENCIES[path] = frozenset(found)
    return _DEPENDENCIES[path]


def code_hash(script):
    """A short hash of ``workflow/scripts/<script>``, every package module that it runs, and every
    workflow file that those read; computed once per script and run."""
    if script in _CODE_HASHES:
        return _CODE_HASHES[script]
    files, todo = set(), [SCRIPTS / script]
    while todo:
        path = todo.pop()
        if path not in files:
            files.add(path)
            if path.suffix == ".py":
                todo += _dependencies(path)
    digest = hashlib.sha256()
    for path in sorted(files):
        for chunk in (
            str(path.relative_to(WORKFLOW_DIR)).encode(),
            b"\0",
            path.read_bytes(),
        ):
            digest.update(chunk)
    _CODE_HASHES[script] = digest.hexdigest()[:12]
    return _CODE_HASHES[script]
