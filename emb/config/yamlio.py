"""Read a YAML file into plain data, turning every failure into a ConfigError."""

from __future__ import annotations

import re
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


# Limits on what a configuration file may build: a few hundred bytes of nested
# aliases (a "billion laughs" document) would otherwise expand to billions of
# values, and deep nesting would exhaust the stack of every later step.
MAX_VALUES = 200_000
MAX_DEPTH = 100


def parse(file: Path, raw: bytes) -> Any:
    """Parse YAML bytes into plain data; every problem is a ConfigError with the line.

    Built from the parser's events (see `_Builder`), not PyYAML's constructor:
    - scalars keep the text as written (`12:30`, `0755`, `1.10`, `1_000`, `on`
      stay strings); only YAML 1.2 core-schema booleans, nulls and numbers that
      read back exactly as written (`true`, `8080`, `1.5`) are typed, which is
      what the schema's boolean fields need, and a number exported as a
      variable is still the text the user wrote;
    - mapping keys are always their text (a task called `on` stays "on", under
      `<<` too); a duplicate key, a list or mapping as a key, a NUL character,
      an unknown tag are errors naming the line;
    - aliases are copied, within MAX_VALUES values and MAX_DEPTH levels.
    """
    import yaml  # here, not at the top: with the parse cache warm, emb never needs it

    try:
        # The C parser is several times faster; it matters for monorepos with many Embfiles.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(raw)
        try:
            return _Builder(loader, yaml, file).document()
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
    except yaml.reader.ReaderError as exc:  # a byte YAML forbids (NUL, other controls) or bad UTF-8
        line = raw[:exc.position].count(b"\n") + 1 if isinstance(exc.position, int) else None
        what = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise config_error(file, (), f"invalid YAML: unacceptable character {what}: {exc.reason}", line=line,
                           find_line=False, hints=["remove it, or write it as an escape in a double-quoted string"]) from None
    except yaml.YAMLError as exc:
        raise config_error(file, (), "invalid YAML: " + " ".join(str(exc).split()), find_line=False) from None


_CORE = "tag:yaml.org,2002:"
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")


def core_scalar(text: str) -> Any:
    """A plain scalar's value: YAML 1.2 core-schema null/boolean, a number only when it
    reads back exactly as written, else the text itself."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        number = int(text)
        return number if str(number) == text else text
    if _FLOAT.fullmatch(text):
        number = float(text)
        return number if repr(number) == text else text
    return text


class _Builder:
    def __init__(self, loader, yaml, file: Path):
        self.loader = loader
        self.yaml = yaml
        self.file = file
        self.anchors: dict[str, Any] = {}
        self.values = 0

    def error(self, event, message: str):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        return config_error(self.file, (), f"invalid YAML: {message}", line=line, find_line=False,
                            hints=["check the indentation and quoting around that line"])

    def count(self, event) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.error(event, f"the document builds more than {MAX_VALUES:,} values "
                                    "(aliases of aliases?)")

    def document(self) -> Any:
        y, get, check = self.yaml, self.loader.get_event, self.loader.check_event
        get()  # StreamStart
        if check(y.StreamEndEvent):
            return None
        get()  # DocumentStart
        value = self.node(0)
        get()  # DocumentEnd
        if not check(y.StreamEndEvent):
            raise self.error(get(), "expected a single document, found another")
        return value

    def node(self, depth: int) -> Any:
        y = self.yaml
        event = self.loader.get_event()
        if depth > MAX_DEPTH:
            raise self.error(event, f"nested more than {MAX_DEPTH} levels deep")
        kind = type(event)
        if kind is y.AliasEvent:
            if event.anchor not in self.anchors:
                raise self.error(event, f"found undefined alias '{event.anchor}'")
            return self.copy(self.anchors[event.anchor], event, depth)
        self.count(event)
        if kind is y.ScalarEvent:
            value = self.scalar(event)
        elif kind is y.SequenceStartEvent:
            self.check_tag(event, "seq")
            value = []
            while not self.loader.check_event(y.SequenceEndEvent):
                value.append(self.node(depth + 1))
            self.loader.get_event()
        elif kind is y.MappingStartEvent:
            self.check_tag(event, "map")
            value = self.mapping(depth)
        else:  # pragma: no cover - the parser only emits the kinds above here
            raise self.error(event, f"unexpected {kind.__name__}")
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value

    def check_tag(self, event, kind: str) -> None:
        if event.tag not in (None, "!", _CORE + kind):
            raise self.error(event, f"unsupported tag {event.tag}")

    def scalar(self, event) -> Any:
        text = event.value
        if "\0" in text:
            raise self.error(event, "a value holds a NUL character (\\0), which no command line "
                                    "or environment variable can carry")
        tag = event.tag
        if tag in (None, "!"):
            return core_scalar(text) if not event.style and tag is None else text  # plain: None (Python) or "" (C)
        if tag == _CORE + "str":
            return text
        if tag in (_CORE + "int", _CORE + "float", _CORE + "bool", _CORE + "null"):
            value = core_scalar(text)
            expected = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[tag[len(_CORE):]]
            if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
                raise self.error(event, f"{text!r} is not a valid {tag}")
            return float(value) if tag == _CORE + "float" else value
        raise self.error(event, f"unsupported tag {tag}")

    def mapping(self, depth: int) -> dict:
        y, loader = self.yaml, self.loader
        result: dict = {}
        lines: dict[str, int] = {}
        merged: list[dict] = []
        while not loader.check_event(y.MappingEndEvent):
            key_event = loader.get_event()
            if type(key_event) is not y.ScalarEvent:
                raise self.error(key_event, "a mapping key must be plain text, not a list, a mapping or an alias")
            key = key_event.value
            if key_event.tag not in (None, "!", _CORE + "str", _CORE + "merge"):
                raise self.error(key_event, f"unsupported tag {key_event.tag} on a key")
            if "\0" in key:
                raise self.error(key_event, "a key holds a NUL character (\\0)")
            if key == "<<" and not key_event.style and key_event.tag in (None, _CORE + "merge"):
                value_event = loader.peek_event()
                value = self.node(depth + 1)
                sources = value if isinstance(value, list) else [value]
                if not all(isinstance(source, dict) for source in sources):
                    raise self.error(value_event, "`<<` merges a mapping or a list of mappings")
                merged.extend(sources)
                continue
            if key in lines:
                raise self.error(key_event, f"duplicate key '{key}' (first on line {lines[key]})")
            lines[key] = key_event.start_mark.line + 1
            result[key] = self.node(depth + 1)
        loader.get_event()
        if not merged:
            return result
        # `<<`: keys of the merged mappings come first; the mapping's own keys win,
        # and an earlier source wins over a later one (as YAML's merge key says).
        out: dict = {}
        for source in merged:
            for k, v in source.items():
                out.setdefault(k, v)
        for k, v in result.items():
            out.pop(k, None)
        out.update(result)
        return out

    def copy(self, value: Any, event, depth: int) -> Any:
        """An alias: a fresh copy (later steps change the data in place), counted."""
        if depth > MAX_DEPTH:
            raise self.error(event, f"nested more than {MAX_DEPTH} levels deep (through aliases)")
        self.count(event)
        if isinstance(value, dict):
            return {k: self.copy(v, event, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, event, depth + 1) for v in value]
        return value


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
