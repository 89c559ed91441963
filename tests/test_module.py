"""The workflow used as a Snakemake module from another folder, with that folder's own config and results."""

import subprocess

import pandas as pd
import pytest
import yaml

from conftest import ROOT, job_stats, snakemake

SNAKEFILE = f"""configfile: "config.yaml"
module study:
    snakefile: "{ROOT / "Snakefile"}"
    config: config
use rule * from study
"""


def checkout_state() -> list[str]:
    """What git sees in the checkout, ignored files included (bytecode caches aside)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return sorted(line for line in status.splitlines() if "__pycache__" not in line)


@pytest.mark.slow
def test_smoke_study_runs_as_a_module_from_another_folder(tmp_path, mnist_dir):
    before = checkout_state()
    study = tmp_path / "my-study"
    study.mkdir()
    config = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())
    # a user's config without the optional blocks: no phase diagram or isometry run (null), and no cure
    # or mechanism but the two that claims.md needs (test_pipeline.py checks the smoke config's blocks)
    optional = [name for name in config["exercises"] if name.startswith(("cure_", "mechanism_"))]
    for name in set(optional) - {"cure_he_init", "cure_selu"}:
        del config["exercises"][name]
    config |= {"data_dir": str(mnist_dir), "phase": None, "isometry": None}
    (study / "config.yaml").write_text(yaml.safe_dump(config))
    (study / "Snakefile").write_text(SNAKEFILE)

    # the schema still guards the config: a typo is refused before anything runs
    (study / "typo.yaml").write_text("training: {widht: 3}\n")
    proc = snakemake(study, "-n", "--configfile", "config.yaml", "typo.yaml", check=False)
    assert proc.returncode != 0 and "training.widht in typo.yaml" in proc.stdout and "Job stats" not in proc.stdout
    assert "did you mean 'width'" in proc.stdout

    # the Slurm profile plans the same study (a dry run needs no cluster)
    planned = job_stats(snakemake(study, "-n", "--profile", str(ROOT / "slurm"), "ex1b").stdout)
    assert planned["train_mlp"] == 6 and planned["prepare_data"] == 1

    snakemake(study, "--cores", "2")
    results = study / "results"
    assert pd.read_csv(results / "tables/ex3_cnn.csv").params.item() == 1_221_450
    comparison = pd.read_csv(results / "tables/comparison_with_report.csv")  # the report's numbers were found
    assert comparison.set_index("metric").loc["params", "report"] == 1_221_450
    figures = {p.name for p in (results / "figures").glob("*.png")}
    assert {"ex1b_accuracy_by_depth.png", "claims_dead_units_relu.png", "ex1c_max_gradient_depth6.png"} <= figures
    assert "phase_diagram.png" not in figures and not (results / "phase").exists()
    assert "jacobian_spectra.png" not in figures  # no orthogonal net to set beside the i.i.d. ones
    assert not (results / "cure_batchnorm").exists() and not (results / "isometry").exists()

    snakemake(study, "--report", "results/report.html")
    html = (results / "report.html").read_text()
    for caption in ("Test accuracy against depth (exercise 1.B).", "Cures for depth (beyond the report)."):
        assert caption in html
    assert checkout_state() == before, "the run wrote into the checkout"
