"""emb's JSON Schemas: where they are, their bytes (part of the validation cache key)
and a self-contained copy for editors. Kept apart from validate.py so that the
common path (validation cached) imports no validator at all."""

from __future__ import annotations

import json
from pathlib import Path

from emb.errors import ConfigError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_FILES = {"emb": "emb.schema.json", "embfile": "embfile.schema.json"}
DEFS_FILE = "defs.schema.json"

def schema_bytes() -> bytes:
    """The raw bytes of every schema file: part of the validation cache key."""
    return b"\0".join(read(name) for name in (DEFS_FILE, *SCHEMA_FILES.values()))


def read(name: str) -> bytes:
    try:
        return (SCHEMA_DIR / name).read_bytes()
    except OSError as exc:  # a broken installation, not a user error; say what is missing
        raise ConfigError(f"emb's JSON Schema {SCHEMA_DIR / name} is missing ({exc.strerror})",
                          ["reinstall emb: the schemas ship inside the package"]) from None


def load_schema(kind: str) -> dict:
    return json.loads(read(SCHEMA_FILES[kind]))


def bundled_schema(kind: str) -> dict:
    """A self-contained schema for editors: the shared definitions copied into `$defs`."""
    schema = load_schema(kind)
    defs = json.loads(read(DEFS_FILE))["$defs"]
    prefix = DEFS_FILE + "#/$defs/"

    def rewrite(node):
        if isinstance(node, dict):
            return {k: ("#/$defs/" + v[len(prefix):] if k == "$ref" and isinstance(v, str) and v.startswith(prefix)
                        else rewrite(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    out = rewrite(schema)
    out["$defs"] = {**defs, **out.get("$defs", {})}
    return out
