"""The code version of a rule: a short hash of what its script runs, for the rule's param ``code``.

Snakemake reruns a job when its rule's script changes, but not when a package module that the script
imports changes. A param does that: every rule passes ``code_hash(<its script>)``, and a job whose
params changed is planned again. The hash covers

- the script and every ``depthstudy`` module that it imports, directly or through other modules,
  read from their import statements (so the list cannot fall behind the code), each as the code that
  Python runs: its syntax tree without docstrings, so that comments, docstrings and formatting
  rerun nothing;
- every workflow value that those modules read (their ``RESOURCES``, ``depthstudy.resources``): the
  value, not the file that holds it.

A param rather than the files as inputs: it follows content, not modification times, so a fresh
clone, a checkout or a copy reruns nothing, and no path into the package has to exist in the folder
that the workflow runs in (as when it is used as a module from another folder).
"""

from __future__ import annotations

import ast
import hashlib
import json
from functools import cache
from pathlib import Path

from depthstudy.resources import WORKFLOW, workflow_value

PACKAGE = "depthstudy"
DYNAMIC_IMPORTS = ("import_module", "__import__")


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:]
    return tree


def _dump(node) -> str:
    """A syntax tree as text. Empty fields are left out, so that a field that a later Python adds
    (empty in code that does not use it) does not change the text."""
    if isinstance(node, ast.AST):
        fields = (f"{name}={_dump(value)}" for name, value in ast.iter_fields(node) if value not in (None, []))
        return f"{type(node).__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return f"[{', '.join(_dump(item) for item in node)}]"
    return repr(node)


def code_text(source: str, filename: str = "<code>") -> str:
    """What ``source`` runs, as text: equal for two sources that differ only in comments, docstrings,
    blank lines or formatting."""
    return _dump(_without_docstrings(ast.parse(source, filename=filename)))


def _module(path: Path, name: str, package: Path) -> Path:
    """The package module ``name`` imported in ``path``; an error if it is not a module file."""
    found = package / f"{name}.py"
    if not found.exists():
        raise ValueError(
            f"{path}: imports {PACKAGE}.{name}, which is not a module file of {package}; "
            f"the rules' code versions ({PACKAGE}.code_version) follow module imports only"
        )
    return found


@cache
def read_python(path: Path, workflow: Path = WORKFLOW) -> tuple[str, frozenset[Path], frozenset[tuple[str, ...]]]:
    """One Python file: its code as text (``code_text``), the package modules that it imports
    (``import depthstudy.x``, ``from depthstudy import x``, ``from depthstudy.x import y``, and, inside
    the package, relative imports), anywhere in it, and the workflow values that it reads (its
    ``RESOURCES``). Read once per file and process."""
    package = workflow / "scripts" / PACKAGE
    tree = ast.parse(path.read_text(), filename=str(path))
    inside = path.parent == package
    modules, values = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE}."):
                    modules.add(_module(path, alias.name.split(".")[1], package))
                elif alias.name == PACKAGE:
                    modules.add(package / "__init__.py")
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level and inside:  # from . import x, from .x import y
                names = [origin] if origin else [alias.name for alias in node.names]
            elif node.level == 0 and origin == PACKAGE:
                names = [alias.name for alias in node.names]
            elif node.level == 0 and origin.startswith(f"{PACKAGE}."):
                names = [origin.split(".")[1]]
            else:
                continue
            modules.update(_module(path, name.split(".")[0], package) for name in names)
        elif isinstance(node, ast.Call) and any(word in ast.unparse(node.func) for word in DYNAMIC_IMPORTS):
            if PACKAGE in ast.unparse(node):
                raise ValueError(
                    f"{path}, line {node.lineno}: a dynamic import of the package, which the rules' code "
                    "versions cannot follow"
                )
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RESOURCES" for t in node.targets):
            for entry in ast.literal_eval(node.value):
                if isinstance(entry, str):
                    raise ValueError(f"{path}: RESOURCES holds (file, key, ...) tuples, not the file {entry!r}")
                values.add(tuple(entry))
    return _dump(_without_docstrings(tree)), frozenset(modules), frozenset(values)


@cache
def code_hash(script: str, workflow: Path = WORKFLOW) -> str:
    """A short hash of ``workflow/scripts/<script>`` and every package module that it runs (their
    code without comments and docstrings), and of every workflow value that those read."""
    files, values, todo = set(), set(), [workflow / "scripts" / script]
    while todo:
        path = todo.pop()
        if path not in files:
            files.add(path)
            todo += read_python(path, workflow)[1]
            values |= read_python(path, workflow)[2]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path.relative_to(workflow)}\0{read_python(path, workflow)[0]}\0".encode())
    for entry in sorted(values):
        value = workflow_value(*entry, workflow=workflow)
        digest.update(f"{'/'.join(entry)}\0{json.dumps(value, sort_keys=True)}\0".encode())
    return digest.hexdigest()[:12]
