"""Reruns exactly as precise as the change: each edit is tried on a copy of the finished smoke study,
by a dry run, as a user would see it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import snakemake

pytestmark = pytest.mark.slow

SMOKE = ["--configfile", "tests/config/smoke.yaml"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory, smoke_run, mnist_dir) -> Path:
    """A copy of the smoke study, brought up to date whatever other tests did to it."""
    work = tmp_path_factory.mktemp("reruns") / "study"
    shutil.copytree(smoke_run, work, symlinks=True)
    snakemake(work, "--cores", "2", *SMOKE, "--config", f"data_dir={mnist_dir}")
    return work


@pytest.fixture()
def study(finished, tmp_path) -> Path:
    """A copy of the finished study of its own, for one test's edits."""
    work = tmp_path / "study"
    shutil.copytree(finished, work, symlinks=True)
    return work


def planned(work: Path, *args: str) -> dict[str, list[tuple[str, str]]]:
    """The jobs that a dry run plans, by rule: (wildcards, reason) of each; {} for nothing to do."""
    out = snakemake(work, "-n", *SMOKE, *args).stdout
    jobs, rule, wildcards, reason = {}, None, "", ""
    for line in out.splitlines() + ["rule end:"]:
        if match := re.match(r"^(?:local)?rule (\w+):$", line):
            if rule and rule != "all":
                jobs.setdefault(rule, []).append((wildcards, reason))
            rule, wildcards, reason = match[1], "", ""
        elif line.strip().startswith("wildcards:"):
            wildcards = line.split(":", 1)[1].strip()
        elif line.strip().startswith("reason:"):
            reason = line.split(":", 1)[1].strip()
    assert jobs or "Nothing to be done" in out, out[-3000:]
    return jobs


def test_comments_docstrings_and_schema_descriptions_plan_nothing(study, mnist_dir):
    for module in (study / "workflow/scripts/depthstudy").glob("*.py"):
        text = module.read_text().replace('"""', '"""Edited: ', 1)  # the module's docstring
        module.write_text(f"# a comment\n{text}\n# the end\n")
    schema = study / "workflow/schemas/config.schema.yaml"
    text = schema.read_text()
    assert "Named MLP exercises" in text
    schema.write_text("# a comment\n" + text.replace("Named MLP exercises", "The MLP exercises"))
    catalog = study / "workflow/resources/datasets.yaml"
    catalog.write_text("# a comment\n" + catalog.read_text())
    assert planned(study, "--config", f"data_dir={mnist_dir}") == {}


def test_the_data_folder_written_another_way_plans_nothing(study, mnist_dir):
    link = study / "mnist-link"
    link.symlink_to(mnist_dir, target_is_directory=True)
    for written in (f"{mnist_dir}/", os.path.relpath(mnist_dir, study), "mnist-link"):
        assert planned(study, "--config", f"data_dir={written}") == {}, written
    # another folder is another data set: the data and everything after them
    other = study / "mnist-copy"
    shutil.copytree(mnist_dir, other)
    jobs = planned(study, "--config", f"data_dir={other}")
    assert jobs["prepare_data"][0][1].startswith("Params have changed") and "train_mlp" in jobs


def changed_params(jobs) -> dict[str, list[str]]:
    """The jobs planned because a value that they read changed (not because of their inputs)."""
    return {
        rule: sorted(w for w, reason in runs if "Params have changed" in reason)
        for rule, runs in jobs.items()
        if any("Params have changed" in reason for _, reason in runs)
    }


def test_a_changed_value_plans_exactly_the_jobs_that_read_it(study, mnist_dir):
    data = f"data_dir={mnist_dir}"
    # the phase diagram's threshold: its table reads it, its training does not
    jobs = planned(study, "--config", data, "phase={trains_above: 0.5}")
    assert set(jobs) == {"phase_table", "plot_phase_diagram"}, jobs
    # one exercise's learning rate: the training of its one cell (and what reads its nets), and the
    # tables and figures that print the settings
    jobs = planned(study, "--config", data, "exercises={cure_he_init: {learning_rate: 0.1}}")
    assert [wildcards for wildcards, _ in jobs["train_mlp"]] == ["exercise=cure_he_init, activation=relu, depth=6"]
    params = changed_params(jobs)
    assert params.pop("train_mlp")
    printing = {"comparison_with_report", "comparisons", "experiments", "metrics_table", "plot_cures_accuracy_by_depth"}
    assert set(params) <= printing, params
    assert not {"prepare_data", "train_cnn", "train_phase", "theory_profiles"} & set(jobs)
