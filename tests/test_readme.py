"""The README's commands as a newcomer types them, and what the console says when a run ends."""

import gzip
import re
import shlex
import shutil

import pandas as pd
import pytest
from PIL import Image

from conftest import QUICK_TRIAL, ROOT, copy_workflow, snakemake

OFFLINE = "data_dir=/path/to/mnist"


def readme_commands() -> list[str]:
    """The snakemake commands of the README's bash blocks, in the README's order."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("snakemake ")]


def readme_command(pattern: str) -> str:
    found = [command for command in readme_commands() if re.search(pattern, command)]
    assert len(found) == 1, (pattern, readme_commands())
    return found[0]


def a_clone(dest):
    """A copy of the workflow as a clone has it, with the workflow profile that every run loads."""
    work = copy_workflow(dest)
    shutil.copytree(ROOT / "profiles", work / "profiles")
    return work


def test_the_readme_gives_each_command_of_a_first_hour_in_order():
    commands = readme_commands()
    trial = readme_command(r"^snakemake --cores 2 --configfile tests/config/smoke\.yaml$")
    offline = readme_command(rf"smoke\.yaml --config {OFFLINE}$")
    assert offline == f"{trial} --config {OFFLINE}"  # the test below runs the offline form
    report = readme_command(r"--report .* --configfile tests/config/smoke\.yaml$")
    full, full_report = "snakemake --cores 2", "snakemake --report results/report.html"
    figure = readme_command(r"results/figures/\S+\.png$")
    cnn = readme_command(r" ex3 --config ")
    order = [trial, offline, report, full, full_report, figure, cnn]
    assert [commands.index(c) for c in order] == sorted(commands.index(c) for c in order)
    for command in commands:
        words = shlex.split(command)
        assert "--cores" not in words or words[words.index("--cores") + 1] == "2", command
        # --config takes every word after it: a target must come before it
        if "--config" in words:
            after = words[words.index("--config") + 1 :]
            assert all("=" in word for word in after), command


@pytest.mark.slow
def test_the_readmes_quick_trial_and_its_report_run_as_printed(smoke_run, mnist_dir):
    # the session's smoke study is the README's quick trial: the same words, the same workflow profile
    trial = shlex.split(readme_command(rf"smoke\.yaml --config {OFFLINE}$"))
    assert trial[1:] == [*QUICK_TRIAL, OFFLINE]
    work, console = smoke_run, (smoke_run / "console.txt").read_text()
    report = readme_command(r"--report .* --configfile tests/config/smoke\.yaml$")
    snakemake(work, *shlex.split(report)[1:])

    results = work / "results"
    html = (results / "report.html").read_text()
    assert "experiments.html" in html
    pngs = list((results / "figures").glob("*.png"))
    assert len(pngs) >= 15 and all(png.name in html for png in pngs)
    for png in pngs:
        assert min(Image.open(png).info["dpi"]) >= 99.5, png  # PNG stores dots per metre
    experiments = pd.read_csv(results / "tables/experiments.csv")
    assert experiments.test_accuracy_ci_low.dropna().between(0, 1).all()
    assert "**" in (results / "tables/experiments.md").read_text()

    # the console: no job blocks, a line per trained net, and the closing message with the report's command
    lines = console.splitlines()
    assert not [line for line in lines if re.match(r"\s+(input|output|reason|wildcards): ", line)]
    nets = list(results.glob("*/*/depth*/seed*/metrics.csv"))
    assert len([line for line in lines if re.match(r"\[train_mlp \S+\] seed \d+: test accuracy", line)]) == len(nets)
    assert f"{report} --config data_dir={mnist_dir}" in console
    assert "tables in results/tables/" in console and "each job's log in results/logs/" in console
    # progress takes about six lines a job; with Snakemake's job blocks it took about sixteen
    jobs = int(re.search(r"^total\s+(\d+)$", console, re.M)[1])  # Snakemake's job stats
    assert f"{jobs} of {jobs} steps (100%) done" in console
    assert len(lines) < 8 * jobs, len(lines)


def test_a_failed_job_is_named_with_its_log_at_the_end(tmp_path, mnist_dir):
    bad = tmp_path / "bad-mnist"
    shutil.copytree(mnist_dir, bad)
    victim = bad / "train-labels-idx1-ubyte.gz"
    victim.write_bytes(gzip.compress(gzip.decompress(victim.read_bytes())[:-10]))
    work = a_clone(tmp_path / "clone")
    proc = snakemake(work, "--cores", "1", "results/data/mnist.npz", "--config", f"data_dir={bad}", check=False)
    assert proc.returncode != 0
    tail = proc.stdout.split("The run stopped:", 1)[1]
    assert tail.startswith(" 1 job(s) failed") and "prepare_data: results/logs/prepare_data.log" in tail
    assert "train-labels-idx1-ubyte.gz" in (work / "results/logs/prepare_data.log").read_text()
    assert "Error in rule" not in proc.stdout  # Snakemake's job block, quieted: the message names the log
