"""The project's licence, citation and install sets: present, consistent, crediting the report and MNIST."""

import re
from importlib.metadata import version
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from conftest import ROOT


def test_citation_cites_the_workflow_and_credits_the_report_and_mnist():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    assert citation["title"] and citation["authors"] and citation["message"]
    assert citation["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    references = {ref["title"]: ref for ref in citation["references"]}
    assert references["Machine Learning, Assignment 2"]["authors"][0]["family-names"] == "Siatiras"
    mnist = references["The MNIST database of handwritten digits"]
    assert mnist["license"] == "CC-BY-SA-3.0"
    assert [a["family-names"] for a in mnist["authors"]] == ["LeCun", "Cortes", "Burges"]
    fashion = references["Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms"]
    assert fashion["license"] == "MIT" and fashion["authors"][0]["family-names"] == "Xiao"


def requirement_lines(path: Path) -> dict[str, Requirement]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {req.name: req for req in map(Requirement, filter(None, lines))}


def test_gpu_requirements_are_the_cpu_set_with_tensorflows_cuda_build():
    cpu = requirement_lines(ROOT / "requirements.txt")
    gpu = requirement_lines(ROOT / "requirements-gpu.txt")
    # TensorFlow: the CUDA build, in the CPU package's range; Keras and everything else: the same lines
    assert gpu["tensorflow"].extras == {"and-cuda"} and "tensorflow" not in cpu
    assert gpu["tensorflow"].specifier == cpu["tensorflow-cpu"].specifier
    assert {k: str(v) for k, v in gpu.items() if k != "tensorflow"} == {
        k: str(v) for k, v in cpu.items() if k != "tensorflow-cpu"
    }
    assert str(gpu["keras"].specifier) == str(cpu["keras"].specifier)
    # what pip can check without a GPU (and without the CUDA wheels, which this machine's index lacks):
    # the installed environment meets every shared line, TensorFlow's range included
    for name, req in gpu.items():
        installed = version("tensorflow-cpu" if name == "tensorflow" else name)
        assert req.specifier.contains(installed, prereleases=True), (name, installed, str(req))


DEV_TOOLS = {"pytest", "ruff", "snakefmt"}


def test_development_tools_install_from_their_own_file_on_top_of_the_runtime_set():
    lines = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    assert lines[0] == "-r requirements.txt"  # one source of truth for the runtime packages
    assert {Requirement(line).name for line in lines[1:]} == DEV_TOOLS
    for path in ("requirements.txt", "requirements-gpu.txt"):
        assert not DEV_TOOLS & set(requirement_lines(ROOT / path)), path
    for path in sorted((ROOT / "envs").glob("*.yaml")):
        deps = yaml.safe_load(path.read_text())["dependencies"]
        lines = [d for d in deps if isinstance(d, str)] + [
            line for d in deps if isinstance(d, dict) for line in d["pip"]
        ]
        names = [re.match(r"[A-Za-z0-9_.-]+", line).group() for line in lines]
        assert not DEV_TOOLS & set(names), path


def test_conda_environments_for_cpu_and_gpu_differ_only_in_tensorflow():
    cpu = yaml.safe_load((ROOT / "envs/training.yaml").read_text())
    gpu = yaml.safe_load((ROOT / "envs/training-gpu.yaml").read_text())
    pip_cpu, pip_gpu = cpu["dependencies"].pop(), gpu["dependencies"].pop()
    assert cpu == gpu
    shared = requirement_lines(ROOT / "requirements.txt")
    for line in pip_gpu["pip"]:
        req = Requirement(line)
        assert req.specifier == shared["tensorflow-cpu" if req.name == "tensorflow" else req.name].specifier
    assert [line for line in pip_gpu["pip"] if "tensorflow[" not in line] == [
        line for line in pip_cpu["pip"] if "tensorflow-cpu" not in line
    ]
