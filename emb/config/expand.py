"""`${env:NAME}`, `${env:NAME:-default}` and `${vars:NAME}` expansion (SPEC §1 "Expansion").

A reference is `${SOURCE:REST}` where SOURCE is lowercase letters and REST
starts with an identifier character. Anything else that starts with `${`
(`${HOME}`, `${foo:-x}`, `${#x}`) is shell syntax and passes through, so task
scripts keep working. `\\${env:X}` is the literal text `${env:X}`.
Substituted values are never expanded again, whatever they contain.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, MutableMapping

from emb.errors import ConfigError

# Group 1: an escaping backslash; group 2: the source ("env", "vars", ...).
_HEAD = re.compile(r"(\\?)\$\{([a-z]+):(?=[A-Za-z_])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SOURCES = ("env", "vars")

# error(path, message, hints) -> ConfigError, supplied by the loader (knows the files)
ErrorFactory = Callable[[tuple, str, list], ConfigError]


def scalar_text(value: Any) -> str:
    """YAML scalars as environment variable text (true -> "true", 8080 -> "8080")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing a reference whose body starts at `start` (-1 if none);
    nested `${...}` (in a default) are skipped."""
    depth = 0
    i = start
    while True:
        close = text.find("}", i)
        if close < 0:
            return -1
        opened = text.find("${", i, close)
        if opened >= 0:
            depth += 1
            i = opened + 2
            continue
        if depth == 0:
            return close
        depth -= 1
        i = close + 1


class Expander:
    """Expands references in strings against an environment and the project `vars`."""

    def __init__(self, environ: Mapping[str, str], raw_vars: Mapping[str, Any], error: ErrorFactory):
        self.environ = environ
        self.raw_vars = dict(raw_vars or {})
        self.error = error
        self._vars: dict[str, str] = {}
        self._resolving: list[str] = []

    # -- public -------------------------------------------------------------------------------
    def string(self, text: str, path: tuple) -> str:
        if "${" not in text:  # fast path: almost every value
            return text
        out: list[str] = []
        pos = 0
        while True:
            m = _HEAD.search(text, pos)
            if m is None:
                out.append(text[pos:])
                return "".join(out)
            out.append(text[pos:m.start()])
            end = _closing_brace(text, m.end())
            if m.group(1):  # escaped: keep the reference text, minus the backslash
                stop = end + 1 if end >= 0 else m.end()
                out.append(text[m.start() + 1:stop])
                pos = stop
                continue
            if end < 0:
                raise self.error(path, f"unterminated reference {text[m.start():m.end()]}... (missing '}}')",
                                 ["write \\${ for a literal ${"])
            out.append(self._reference(m.group(2), text[m.end():end], text[m.start():end + 1], path))
            pos = end + 1

    def tree(self, value: Any, path: tuple = ()) -> Any:
        """A copy of a YAML tree with every string expanded (keys are left alone).

        Written for speed (tens of thousands of values in a big monorepo): strings
        without "${" are kept without a call."""
        if isinstance(value, str):
            return self.string(value, path)
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return value
        out = {} if isinstance(value, dict) else [None] * len(value)
        for key, item in items:
            if type(item) is str:
                out[key] = self.string(item, path + (key,)) if "${" in item else item
            elif isinstance(item, (dict, list)):
                out[key] = self.tree(item, path + (key,))
            else:
                out[key] = item
        return out

    def export_env(self, env_block: Mapping[str, Any], target: MutableMapping[str, str], path: tuple) -> dict:
        """Expand the project `env:` block in order, exporting each value as it goes
        (so later entries may use earlier ones); returns the expanded block."""
        result = {}
        for name, value in (env_block or {}).items():
            text = self.string(scalar_text(value), path + (name,))
            target[str(name)] = text
            result[str(name)] = text
        return result

    def variables(self) -> dict[str, str]:
        return {name: self.var(name, ("vars", name)) for name in self.raw_vars}

    def var(self, name: str, path: tuple) -> str:
        if name in self._vars:
            return self._vars[name]
        if name in self._resolving:
            cycle = " -> ".join([*self._resolving[self._resolving.index(name):], name])
            raise self.error(("vars", name), f"vars refer to each other in a cycle: {cycle}", [])
        self._resolving.append(name)
        try:
            value = self.string(scalar_text(self.raw_vars[name]), ("vars", name))
        finally:
            self._resolving.pop()
        self._vars[name] = value
        return value

    # -- one reference --------------------------------------------------------------------------
    def _reference(self, source: str, body: str, whole: str, path: tuple) -> str:
        if source not in SOURCES:
            raise self.error(
                path, f"unknown reference {whole}: '{source}' is not a source (use env or vars)",
                ["write \\${ to keep a literal ${ in the value"],
            )
        m = _NAME.match(body)
        name = m.group(0)
        rest = body[m.end():]
        if rest and not rest.startswith(":-"):
            raise self.error(
                path, f"malformed reference {whole}",
                [f"use ${{{source}:NAME}} or ${{{source}:NAME:-default}}"],
            )
        default = rest[2:] if rest else None
        if source == "env":
            value = self.environ.get(name)
            if value is None or (value == "" and default is not None):
                if default is None:
                    raise self.error(
                        path, f"environment variable {name} is not set (needed by {whole})",
                        [f"export {name}=..., or give a default: ${{env:{name}:-value}}"],
                    )
                return self.string(default, path)
            return value
        if name not in self.raw_vars:
            if default is not None:
                return self.string(default, path)
            known = ", ".join(self.raw_vars) or "none defined"
            raise self.error(path, f"undefined variable {whole}",
                             [f"define it under `vars:` in .emb.yml (defined: {known})"])
        return self.var(name, path)
