"""The generated reference pages match their sources: docs/configuration.md's
reference tables match schemas/, and docs/cli.md matches click's help."""

from __future__ import annotations

import json

import pytest

from tests.docs import gen_reference as gen


@pytest.mark.parametrize("path", [gen.CONFIG_MD, gen.CLI_MD], ids=lambda p: p.name)
def test_generated_docs_are_up_to_date(path):
    expected = gen.generated()[path]
    assert path.read_text() == expected, (
        f"{path.name} is out of date: run `python -m tests.docs.gen_reference --write` and commit it"
    )


def _properties(schema, files, file, seen):
    """Every property name reachable from a schema (following $refs across files)."""
    if isinstance(schema, list):
        return set().union(*(_properties(item, files, file, seen) for item in schema))
    if not isinstance(schema, dict):
        return set()
    if "$ref" in schema:
        ref_file, _, pointer = schema["$ref"].partition("#")
        ref_file = ref_file or file
        if (ref_file, pointer) in seen:
            return set()
        seen.add((ref_file, pointer))
        node = files[ref_file]
        for part in pointer.strip("/").split("/"):
            node = node[part]
        return _properties(node, files, ref_file, seen)
    names = set()
    for key, value in schema.items():
        if key == "$defs":
            continue  # reached through $ref only
        if key == "properties":
            names |= set(value)
            value = list(value.values())
        names |= _properties(value, files, file, seen)
    return names


def test_every_schema_key_is_in_the_configuration_reference():
    """Independent of the generator: each key the schemas accept appears as `key` in the page."""
    files = {p.name: json.loads(p.read_text()) for p in gen.SCHEMAS.glob("*.json")}
    keys = set()
    for name in ("emb.schema.json", "embfile.schema.json"):
        keys |= _properties(files[name], files, name, set())
    text = gen.CONFIG_MD.read_text().split(gen.BEGIN, 1)[1]
    missing = sorted(k for k in keys if f"`{k}`" not in text and not any(
        f"`{p}.{k}`" in text for p in keys))
    assert not missing, f"schema keys missing from docs/configuration.md: {missing}"
    assert {"project", "rootDir", "selectorLabel", "executors", "confirm", "patches"} <= keys
