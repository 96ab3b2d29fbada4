"""JSON Schema validation of .emb.yml and Embfiles, with friendly one-line errors.

This module is imported only when the validation cache (emb.config.cache)
says these exact inputs have not been validated before. fastjsonschema answers
"valid?" quickly; jsonschema (slow to import and to run, but with rich error
objects) is used only to describe an error.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from emb.config.schemafiles import DEFS_FILE, SCHEMA_FILES, bundled_schema, load_schema, read
from emb.config.yamlio import type_name
from emb.errors import ConfigError

_JSON_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "an integer", "boolean": "true or false", "null": "nothing"}

@lru_cache(maxsize=None)
def _validator(kind: str):
    """Compiled once per process (the 1,000-Embfile case validates 1,001 documents)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [(name, Resource(json.loads(read(name)), specification=DRAFT202012))
                 for name in (DEFS_FILE, *SCHEMA_FILES.values())]
    registry = Registry().with_resources(resources)
    return Draft202012Validator(load_schema(kind), registry=registry)


@lru_cache(maxsize=None)
def _fast_check(kind: str):
    """fastjsonschema compiles the schema to Python: ~15x faster than jsonschema for the
    yes/no question. Our schemas use only keywords that mean the same in draft-07
    (fastjsonschema's newest) and 2020-12; the bundled copy has only local $refs."""
    import fastjsonschema

    schema = inline_refs(bundled_schema(kind))
    schema.pop("$schema", None)
    # detailed_exceptions=False: the generated code is half the size (no schema copies in
    # every raise), so compiling it costs less; jsonschema describes errors anyway.
    return fastjsonschema.compile(schema, use_default=False, detailed_exceptions=False)


def inline_refs(schema: dict) -> dict:
    """The schema with every local `$ref` replaced by its target (ours are not recursive).

    fastjsonschema turns each $ref into a function call that formats the JSON path
    of the value on every call; inlined, the 1,000-Embfile check is ~4x faster."""
    defs = schema.get("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                target = walk(defs[node["$ref"].rsplit("/", 1)[-1]])
                rest = {k: v for k, v in node.items() if k not in ("$ref", "description")}
                return {"allOf": [target, walk(rest)]} if rest else target
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def validate(kind: str, data: Any, error: Callable[..., ConfigError]) -> None:
    """Raise error(path, message, hints, key=...) for the most relevant schema violation."""
    import fastjsonschema

    try:
        _fast_check(kind)(data)
        return
    except fastjsonschema.JsonSchemaValueException as fast:
        fast_error = fast
    # Rare path: describe the problem with jsonschema, whose errors carry more context.
    from jsonschema.exceptions import best_match

    errors = list(_validator(kind).iter_errors(data))
    if not errors:  # the two libraries disagree: report what the fast check said
        path = tuple(fast_error.path[1:]) if fast_error.path else ()
        raise error(path, f"invalid configuration ({fast_error.message})", [], key=False)
    path, message, hints, key = describe(best_match(errors))
    raise error(path, message, hints, key=key)


def describe(err) -> tuple[tuple, str, list[str], bool]:
    """(path, one-line message, hints, whether the path names a key) for a ValidationError."""
    path = tuple(err.absolute_path)
    kind = err.validator
    schema = err.schema if isinstance(err.schema, dict) else {}
    inst = err.instance

    # `anyOf: [{required: [script]}, {required: [pre]}]`: say what is missing, whichever
    # of the anyOf error or one of its branches best_match picked.
    for candidate in (err, err.parent):
        if candidate is not None and candidate.validator == "anyOf" and all(
            isinstance(s, dict) and set(s) == {"required"} for s in candidate.validator_value
        ):
            options = " or ".join(f"`{s['required'][0]}`" for s in candidate.validator_value)
            return tuple(candidate.absolute_path), f"needs {options}", [], True

    if kind == "additionalProperties" and isinstance(inst, dict):
        allowed = list(schema.get("properties", {}))
        unknown = [k for k in inst if k not in allowed]
        bad = unknown[0] if unknown else "?"
        import difflib  # error path only

        close = difflib.get_close_matches(str(bad), allowed, n=1, cutoff=0.5)
        message = f"unknown key '{bad}'" + (f" (did you mean '{close[0]}'?)" if close else "")
        return path + (bad,), message, [f"valid keys here: {', '.join(allowed)}"], True
    if kind == "required":
        missing = [k for k in err.validator_value if not (isinstance(inst, dict) and k in inst)]
        name = missing[0] if missing else err.validator_value[0]
        return path, f"missing required key '{name}'", [], bool(path)
    if kind == "type":
        wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        wanted = " or ".join(_JSON_TYPES.get(t, t) for t in wanted if t != "null") or "nothing"
        return path, f"expected {wanted}, got {type_name(inst)}", [], False
    if kind in ("enum", "const"):
        choices = err.validator_value if kind == "enum" else [err.validator_value]
        what = _enum_subject(path, choices)
        import difflib  # error path only

        close = difflib.get_close_matches(str(inst), [str(c) for c in choices], n=1, cutoff=0.5)
        message = f"{_short(inst)} is not {what} (choose from: {', '.join(map(str, choices))})"
        return path, message, [f"did you mean '{close[0]}'?"] if close else [], False
    if kind == "pattern" and isinstance(inst, str):
        if ":" in inst:
            return path, f"invalid name '{inst}': names cannot contain ':' (it separates component and task in ids)", [], False
        if err.validator_value == "^[A-Za-z0-9_][A-Za-z0-9_.-]*$":
            return path, f"invalid name {_short(inst)}: use letters, digits, '_', '.' and '-'", [], False
        if err.validator_value == "^[A-Za-z_][A-Za-z0-9_]*$":
            return path, f"invalid variable name {_short(inst)}: use letters, digits and '_'", [], False
        return path, f"invalid value {_short(inst)} (must match {err.validator_value})", [], False
    if kind == "anyOf":
        return path, f"expected a string or a list of strings, got {type_name(inst)}" if _is_globs(err) \
            else f"invalid value: {err.message}", [], False
    if kind == "minItems":
        return path, "must not be empty", [], False
    if kind == "uniqueItems":
        return path, "lists the same value twice", [], False
    if kind == "minLength":
        return path, "must not be empty", [], False
    return path, err.message, [], False


def _is_globs(err) -> bool:
    return all(isinstance(s, dict) and s.get("type") in ("string", "array", "null") for s in err.validator_value)


def _enum_subject(path: tuple, choices: list) -> str:
    if "local" in choices and "kubernetes" in choices:
        return "an executor"
    if "autodocker" in choices:
        return "a plugin"
    if "add" in choices and "remove" in choices:
        return "a JSON Patch operation"
    return "allowed here"


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "...'"
