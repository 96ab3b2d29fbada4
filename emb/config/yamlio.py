"""Read a YAML file into plain data, turning every failure into a ConfigError."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from emb.config.where import config_error

if TYPE_CHECKING:
    from emb.config.cache import ParseCache


def read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise config_error(file, (), f"cannot read the file: {exc.strerror or exc}", find_line=False) from None


def parse(file: Path, raw: bytes) -> Any:
    """Parse YAML bytes; syntax errors name the file and line."""
    import yaml  # here, not at the top: with the parse cache warm, emb never needs it

    try:
        # The C loader is several times faster; it matters for monorepos with many Embfiles.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(raw)
        try:
            return _construct(loader.get_single_node(), loader, yaml)
        finally:
            loader.dispose()
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


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct(node, loader, yaml) -> Any:
    """Node tree -> Python data, like loader.construct_document but without its
    generator machinery for the common nodes (plain strings, mappings, lists):
    a third faster on a monorepo with 1,000 Embfiles. Everything else (ints,
    booleans, dates, `<<` merge keys) is left to PyYAML."""
    if node is None:
        return None
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.tag == _STR_TAG else loader.construct_object(node, deep=True)
    if kind is yaml.MappingNode and node.tag == "tag:yaml.org,2002:map" and not any(
            k.tag == _MERGE_TAG for k, _ in node.value):
        # Keys are names in emb's files (tasks, components, variables): keep their text, so
        # a task called `on` or `1` stays "on" / "1" instead of becoming True / 1.
        return {(k.value if type(k) is yaml.ScalarNode else _construct(k, loader, yaml)): _construct(v, loader, yaml)
                for k, v in node.value}
    if kind is yaml.SequenceNode and node.tag == "tag:yaml.org,2002:seq":
        return [_construct(v, loader, yaml) for v in node.value]
    return loader.construct_object(node, deep=True)


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


def read_mapping(file: Path, what: str, hint: str, cache: ParseCache | None = None,
                 empty_ok: bool = False) -> tuple[bytes, dict]:
    """Read a file that must hold a YAML mapping (.emb.yml, Embfile.yml); with
    empty_ok, an empty file (or only comments) is the empty mapping (as EMB 0.30
    reads an Embfile)."""
    raw = read_bytes(file)
    data = cache.parse(file, raw) if cache is not None else parse(file, raw)
    if data is None and empty_ok:
        return raw, {}
    if data is None:
        raise config_error(file, (), f"{what} is empty", [hint], find_line=False)
    if not isinstance(data, dict):
        raise config_error(file, (), f"{what} must be a mapping of keys, not {type_name(data)}", [hint], line=1)
    return raw, data
