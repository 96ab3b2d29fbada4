"""The shape of the code: which layer may import which (read with `ast`, nothing
is imported), and the one list of executor names shared by the schema, the
model and the executor table."""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

import emb
from emb.config.schemafiles import SCHEMA_DIR
from emb.executors import EXECUTORS
from emb.model import EXECUTOR_NAMES

PACKAGE = Path(emb.__file__).resolve().parent

# (modules: a module or a package prefix, imports they must not make: module prefixes)
RULES = [
    ("emb.process", ("emb.executors", "emb.kube", "emb.docker", "emb.cli", "emb.flow", "emb.resources",
                     "emb.config", "emb.planner")),
    ("emb.config", ("emb.kube", "emb.docker", "emb.executors", "emb.flow", "emb.resources")),
    ("emb.kube", ("emb.docker",)),
    ("emb.docker", ("emb.kube", "emb.resources", "emb.flow")),
    ("emb.resources", ("emb.executors", "emb.kube", "emb.flow", "emb.cli", "emb.planner")),
    ("emb.model", ("emb",)),  # the records: plain data, nothing of emb
    ("emb.errors", ("emb",)),
    ("emb.process.command", ("emb",)),  # the process layer's values: a leaf
]


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement in `source` may bring in, wherever it
    stands (function-level imports too). `from emb import kube` counts as emb.kube."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names.add(origin)
            names.update(f"{origin}.{alias.name}" for alias in node.names)
    return names


def emb_modules() -> dict[str, set[str]]:
    """module name -> what it imports, for every module of the emb package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        found[name] = imported(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    return found


@pytest.fixture(scope="module")
def modules() -> dict[str, set[str]]:
    return emb_modules()


def test_the_import_reader_sees_every_form():
    source = (
        "from __future__ import annotations\n"
        "import emb.kube.target\n"
        "from emb import docker\n"
        "from . import child\n"
        "from ..flow.tasks import RunFlow\n"
        "def later():\n"
        "    from emb.cli import main\n"
    )
    names = imported(source, "emb.process.piped", is_package=False)
    for expected in ("emb.kube.target", "emb.docker", "emb.process.child", "emb.flow.tasks", "emb.cli"):
        assert expected in names, expected
    assert "emb.process" in imported("from . import command\n", "emb.process", is_package=True)


@pytest.mark.parametrize("layer,forbidden", RULES, ids=[rule[0] for rule in RULES])
def test_layers_import_only_what_is_below_them(modules, layer, forbidden):
    checked = [name for name in modules if under(name, layer)]
    assert checked, f"no module {layer}: update RULES"
    wrong = sorted(
        f"{name} imports {target}"
        for name in checked
        for target in modules[name]
        if any(under(target, f) for f in forbidden)
    )
    assert wrong == []


def test_the_schema_lists_the_executor_names_once_and_in_order():
    defs = json.loads((SCHEMA_DIR / "defs.schema.json").read_text())
    assert tuple(defs["$defs"]["executor"]["enum"]) == EXECUTOR_NAMES
    task = defs["$defs"]["task"]["properties"]
    assert task["executor"]["$ref"] == "#/$defs/executor"
    assert task["executors"]["items"]["$ref"] == "#/$defs/executor"

    def enums(node):
        if isinstance(node, dict):
            if "enum" in node:
                yield node["enum"]
            for value in node.values():
                yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)

    for name in ("emb.schema.json", "embfile.schema.json", "defs.schema.json"):
        schema = json.loads((SCHEMA_DIR / name).read_text())
        # An enum naming two or more executors is a copy of the list (vault's auth methods include "kubernetes").
        copies = [e for e in enums(schema) if len(set(e) & set(EXECUTOR_NAMES)) >= 2]
        assert copies == ([list(EXECUTOR_NAMES)] if name == "defs.schema.json" else []), name


def test_the_executor_table_has_one_class_per_name():
    assert tuple(EXECUTORS) == EXECUTOR_NAMES
    for name, where in EXECUTORS.items():
        module, cls = where.split(":")
        executor = getattr(importlib.import_module(module), cls)
        assert executor.name == name
        for method in ("command", "after_failure", "shell_command"):
            assert callable(getattr(executor, method, None)), f"{cls}.{method}"
