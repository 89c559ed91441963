"""Values from the workflow's own files (paths under workflow/) that package modules read.

A module that reads one declares it in a tuple ``RESOURCES`` of (file, key, key, ...) entries and
reads it with ``workflow_value(*entry)``: the code version of every rule that runs the module
(``depthstudy.code_version``) then covers that value, and nothing else of the file, so that a
comment or a description beside it reruns nothing.
"""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2]


def workflow_value(file: str, *keys: str, workflow: Path = WORKFLOW):
    """The value at ``keys`` in the YAML (or JSON) file ``workflow/<file>``; the whole file without keys."""
    value = yaml.safe_load((workflow / file).read_text())
    for key in keys:
        value = value[key]
    return value
