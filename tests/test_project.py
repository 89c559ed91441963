"""The project's licence and citation: present, consistent, and crediting the report and MNIST."""

import yaml

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
