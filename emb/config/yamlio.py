"""Read a YAML file into plain data, turning every failure into a ConfigError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from emb.config.where import config_error

# The C loader is several times faster; it matters for monorepos with many Embfiles.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise config_error(file, (), f"cannot read the file: {exc.strerror or exc}", find_line=False) from None


def parse(file: Path, raw: bytes) -> Any:
    """Parse YAML bytes; syntax errors name the file and line."""
    try:
        return yaml.load(raw, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        raise config_error(
            file, (), f"invalid YAML: {problem}", line=line, find_line=False,
            hints=["check the indentation and quoting around that line"],
        ) from None
    except yaml.YAMLError as exc:
        raise config_error(file, (), f"invalid YAML: {exc}", find_line=False) from None


def type_name(value: Any) -> str:
    """The JSON/YAML name of a value's type, for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def read_mapping(file: Path, what: str, hint: str) -> tuple[bytes, dict]:
    """Read a file that must hold a YAML mapping (.emb.yml, Embfile.yml)."""
    raw = read_bytes(file)
    data = parse(file, raw)
    if data is None:
        raise config_error(file, (), f"{what} is empty", [hint], find_line=False)
    if not isinstance(data, dict):
        raise config_error(file, (), f"{what} must be a mapping of keys, not {type_name(data)}", [hint], line=1)
    return raw, data
