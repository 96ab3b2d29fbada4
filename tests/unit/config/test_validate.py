"""Schema validation (SPEC §1 "Unknown keys are errors") and the error messages (SPEC §3)."""

from __future__ import annotations

import json

import pytest

from emb.config.schemafiles import SCHEMA_DIR, bundled_schema


@pytest.mark.parametrize("text,needles", [
    ("", ["is empty"]),
    ("- a\n- b\n", ["must be a mapping", "a list"]),
    ("project: {name: x\n", ["invalid YAML", ".emb.yml:2"]),
    ("projec: {name: x}\n", ["unknown key 'projec'", "did you mean 'project'"]),
    ("project: {}\n", ["missing required key 'name'", "at /project"]),
    ("project: {name: x}\ntasks: {t: {scirpt: x}}\n", ["unknown key 'scirpt'", "did you mean 'script'", "at /tasks/t/scirpt"]),
    ("project: {name: x}\ntasks: {t: {script: [a]}}\n", ["expected a string, got a list", "/tasks/t/script"]),
    ("project: {name: x}\ntasks: {t: {script: a, executor: docker}}\n",
     ["'docker' is not an executor", "local, container, kubernetes"]),
    ("project: {name: x}\ntasks: {t: {script: a, executors: [local, dokcer]}}\n", ["/tasks/t/executors/1"]),
    ("project: {name: x}\ntasks: {t: {description: no script}}\n", ["needs `script` or `pre`"]),
    ("project: {name: x}\ntasks: {t: {script: a, interactive: maybe}}\n", ["expected true or false"]),
    ("project: {name: x}\nkubernetes: {namespace: a, selector_label: b}\n", ["did you mean 'selectorLabel'"]),
    ("project: {name: x}\ncomponents: {api: {kubernetes: {deploy: a}}}\n", ["did you mean 'deployment'"]),
    ("project: {name: x}\nplugins: [{name: dotenv, config: 3}]\n", ["/plugins/0/config"]),
    ("project: {name: x}\nflavors: {s: {patches: [{op: ad, path: /x, value: 1}]}}\n", ["'ad' is not a JSON Patch operation"]),
    ("project: {name: x}\nflavors: {s: {patches: [{op: add, path: /x}]}}\n", ["missing required key 'value'"]),
])
def test_broken_emb_yml_gives_one_line_naming_file_and_path(repo, text, needles):
    (repo.root / ".emb.yml").write_text(text)
    err = repo.error()
    assert "\n" not in err.message
    assert err.message.startswith(".emb.yml") or "/.emb.yml" in err.message
    for needle in needles:
        assert needle in err.message


def test_error_line_number_points_at_the_offending_key(repo):
    (repo.root / ".emb.yml").write_text("project:\n  name: x\ntasks:\n  t:\n    script: a\n    exectuor: local\n")
    assert ".emb.yml:6:" in repo.error().message


@pytest.mark.parametrize("text,needle", [
    ("- a\n", "must be a mapping"),
    ("tasks: {t: {script: a}}\nname: api\n", "unknown key 'name'"),
    ("rootdir: x\n", "unknown key 'rootdir' (did you mean 'rootDir'?)"),
    ("tasks: {t: {script: a, pre: build}}\n", "expected a list"),
])
def test_broken_embfile_is_named(repo, text, needle):
    repo.write({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n", "api/Embfile.yml": text})
    err = repo.error()
    assert "api/Embfile.yml" in err.message and needle in err.message


def _objects(node, path=""):
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{path}/{i}")


@pytest.mark.parametrize("name", ["emb.schema.json", "embfile.schema.json", "defs.schema.json"])
def test_every_object_with_properties_forbids_unknown_keys(name):
    schema = json.loads((SCHEMA_DIR / name).read_text())
    checked = 0
    for path, node in _objects(schema):
        # `if` sub-schemas only select a branch; they are not object definitions
        if "/if" in path or path.endswith("/then") or path.endswith("/then/properties/config"):
            continue
        assert node.get("additionalProperties") is False, f"{name}{path} lets unknown keys through"
        checked += 1
    assert checked >= 1


def test_schemas_share_definitions_instead_of_copying_them():
    emb = (SCHEMA_DIR / "emb.schema.json").read_text()
    embfile = (SCHEMA_DIR / "embfile.schema.json").read_text()
    for text in (emb, embfile):
        assert "defs.schema.json#/$defs/tasks" in text
        assert '"script"' not in text  # the task definition lives in defs.schema.json only


def test_bundled_schema_is_self_contained_and_accepts_a_full_config(repo):
    from jsonschema import Draft202012Validator

    for kind in ("emb", "embfile"):
        schema = bundled_schema(kind)
        assert "defs.schema.json" not in json.dumps(schema)
        Draft202012Validator.check_schema(schema)
    full = {
        "project": {"name": "x", "rootDir": "."},
        "plugins": ["autodocker", {"name": "embfiles", "config": {"glob": "*/Embfile.yml"}},
                    {"name": "dotenv", "config": [".env"]}],
        "env": {"A": "1", "PORT": 80}, "vars": {"v": "x"},
        "kubernetes": {"namespace": "n", "context": "c", "selectorLabel": "app"},
        "defaults": {"kubernetes": {"namespace": "d"}},
        "components": {"api": {"rootDir": "api", "description": "d",
                               "kubernetes": {"deployment": "a", "selector": "s", "container": "c"},
                               "tasks": {"t": {"script": "x", "pre": ["u"], "executor": "local",
                                               "executors": ["local"], "interactive": True, "workdir": "/app",
                                               "vars": {"K": "v"}, "confirm": {"message": "m", "expect": "e"}}},
                               "flavors": {"s": {"patches": [{"op": "add", "path": "/x", "value": 1}]}}}},
        "tasks": {"u": {"script": "y"}},
        "flavors": {"s": {"patch": [{"op": "move", "from": "/a", "path": "/b"}]}},
    }
    assert list(Draft202012Validator(bundled_schema("emb")).iter_errors(full)) == []


def test_schemas_ship_inside_the_package():
    import emb

    from pathlib import Path

    packaged = Path(emb.__file__).parent / "schemas"
    assert (packaged / "emb.schema.json").is_file() and (packaged / "defs.schema.json").is_file()
