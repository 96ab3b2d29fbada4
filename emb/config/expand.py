"""`${SOURCE:NAME}` expansion (SPEC §1 "Expansion"), with sources looked up by name.

Forms: `${SOURCE:NAME}`, `${SOURCE:NAME:-fallback}`, and the bare `${NAME}` /
`${NAME:-fallback}`, which mean `${vars:NAME}` (`${env:NAME}` in the `env:`
block). In task scripts (`script=True`) only `${SOURCE:...}` with a known
source is expanded: `${HOME}`, `${x:-y}`, `${x:1}`, `$(...)` are the shell's.

- `\\${` is a literal `${` everywhere: the backslash is removed (in a script only
  before a reference emb would expand, `\\${env:X}`: `\\${HOME}` is the shell's own).
- `${X:-d}` gives `d` when X is unset *or empty* (the shell's rule), and when
  a registered source fails (its EmbError is dropped for the fallback).
- An unknown source is an error naming it, unless a fallback is given.
- Substituted values are never expanded again; a fallback is expanded.
- Text that starts with `${` but is no reference (`${#x}`, `${ x }`) passes through.

Sources. `env` (the environment, live: the `env:` block and dotenv are in it)
and `vars` (the project `vars`, themselves expanded on demand) are built in.
Others are registered per load, by the plugin that provides them (the
config layer calls each plugin with a `PluginRun` whose `.sources` is the
`Sources` of this load):

    run.sources.register("vault", read_vault, secret=True)
    # read_vault("secret/prod/db#password") -> "s3cret"; raises an EmbError subclass on failure

A reader gets the body: the text between `SOURCE:` and the closing `}` (or
the `:-` of a fallback), e.g. `secret/prod/db#password` for
`${vault:secret/prod/db#password}`, `Prod/Database#password` for
`${op:Prod/Database#password}`. It is called only when a value that uses it
is needed (expansion is lazy, see emb.config.values). `secret=True` sources
are not read for display (`emb config print`): the reference stays as written.
`find_references(text)` lists the references of a string without reading any.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable, Mapping, MutableMapping

from emb.errors import ConfigError, EmbError

BUILTIN_SOURCES = ("env", "vars")

# `${` with an optional escaping backslash (group 1).
_OPEN = re.compile(r"(\\?)\$\{")
# After `${`: an optional `source:` (not `x:-`, which is a bare name with a fallback), then
# the key; it ends at `}` or `:-`. EMB 0.30's key: word chars, `/`, `#`, `.`, inner hyphens.
_KEY = r"[\w/#.]+(?:-[\w/#.]+)*"
_REF = re.compile(r"(?:([A-Za-z_]\w*):(?!-))?(" + _KEY + r")(\}|:-)")
# A sourced reference whose body is not a plain key (`${op:My Vault/Item#field}`).
_SOURCED = re.compile(r"([A-Za-z_]\w*):(?!-)((?:(?!:-)[^{}])+)(\}|:-)")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

Reader = Callable[[str], str]
# error(path, message, hints) -> ConfigError, supplied by the loader (knows the files)
ErrorFactory = Callable[[tuple, str, list], ConfigError]


class Sources:
    """The expansion sources of one load beyond env and vars: name -> reader."""

    def __init__(self):
        self._readers: dict[str, Reader] = {}
        self._secret: set[str] = set()

    def register(self, name: str, reader: Reader, *, secret: bool = False) -> None:
        if name in BUILTIN_SOURCES:
            raise ValueError(f"{name} is a built-in source")
        self._readers[name] = reader
        if secret:
            self._secret.add(name)

    def get(self, name: str) -> Reader | None:
        return self._readers.get(name)

    def is_secret(self, name: str) -> bool:
        return name in self._secret

    def names(self) -> tuple[str, ...]:
        return (*BUILTIN_SOURCES, *self._readers)


def find_references(text: str) -> list[tuple[str | None, str, str | None]]:
    """The `${...}` references in a string, as (source or None for a bare name, body,
    fallback or None), without expanding anything (for `emb secrets`). Escaped ones
    (`\\${`) are not references."""
    found = []
    pos = 0
    while True:
        i = text.find("${", pos)
        if i < 0:
            return found
        pos = i + 2
        if i > 0 and text[i - 1] == "\\":
            continue
        m = _REF.match(text, pos) or _SOURCED.match(text, pos)
        if m is None:
            continue
        fallback = None
        if m.group(3) == ":-":
            close = _closing_brace(text, m.end())
            if close < 0:
                continue
            fallback = text[m.end():close]
        found.append((m.group(1), m.group(2), fallback))


def scalar_text(value: Any) -> str:
    """YAML scalars as environment variable text (true -> "true", 8080 -> "8080")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing a fallback that starts at `start` (-1 if none);
    nested `${...}` (in a fallback) are skipped."""
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


class _Unresolved(Exception):
    """Display mode: a reference that cannot be resolved stays as written."""


class Expander:
    """Expands references in strings against the environment, the project `vars`
    and the registered sources. One per load, kept on the Monorepo for the values
    expanded at use (emb.config.values)."""

    def __init__(self, environ: Mapping[str, str], raw_vars: Mapping[str, Any], error: ErrorFactory,
                 sources: Sources | None = None):
        self.environ = environ
        self.raw_vars = dict(raw_vars or {})
        self.error = error
        self.sources = sources or Sources()
        self._vars: dict[str, str] = {}
        self._resolving: list[str] = []

    # -- public -------------------------------------------------------------------------------
    def string(self, text: str, path: tuple, *, script: bool = False, default_source: str = "vars",
               variables: Mapping[str, str] | None = None, dollar: Mapping[str, str] | None = None,
               subject: str = "", display: bool = False) -> str:
        """Expand one string.

        script: task-script rules (only `${source:...}` with a known source).
        default_source: what a bare `${NAME}` reads ("vars"; "env" in the env block).
        variables: the `vars` source instead of the project vars (confirm: the task's vars).
        dollar: also replace `$NAME` (no braces) found in this mapping (confirm texts).
        subject: prefixed to error messages ("task api:deploy").
        display: for `config print`: what cannot be resolved (or is secret) stays as written.
        """
        if "${" not in text and (dollar is None or "$" not in text):  # fast path: almost every value
            return text
        opts = (script, default_source, variables, dollar, subject, display)
        out: list[str] = []
        pos = 0
        n = len(text)
        while pos < n:
            i = text.find("$", pos)
            if i < 0:
                break
            if i > pos and text[i - 1] == "\\" and text.startswith("${", i) and (
                    not script or self._is_reference(text, i + 2)):
                # `\${` is a literal `${`. In a script, only before one of emb's own
                # references (`\${env:X}`): elsewhere the backslash is the shell's.
                out.append(text[pos:i - 1])
                out.append("${")
                pos = i + 2
                continue
            if not text.startswith("${", i):
                m = _DOLLAR.match(text, i) if dollar is not None else None
                if m is not None and m.group(1) in dollar:
                    out.append(text[pos:i])
                    out.append(dollar[m.group(1)])
                    pos = m.end()
                else:
                    out.append(text[pos:i + 1])
                    pos = i + 1
                continue
            out.append(text[pos:i])
            value, pos = self._at(text, i, path, opts)
            out.append(value)
        out.append(text[pos:])
        return "".join(out)

    def tree(self, value: Any, path: tuple = (), **options) -> Any:
        """A copy of a YAML tree with every string expanded (keys are left alone)."""
        if isinstance(value, str):
            return self.string(value, path, **options)
        if isinstance(value, dict):
            return {key: self.tree(item, path + (key,), **options) for key, item in value.items()}
        if isinstance(value, list):
            return [self.tree(item, path + (i,), **options) for i, item in enumerate(value)]
        return value

    def export_env(self, env_block: Mapping[str, Any], target: MutableMapping[str, str], path: tuple) -> dict:
        """Expand the project `env:` block in order, exporting each value as it goes
        (so later entries may use earlier ones); returns the expanded block."""
        result = {}
        for name, value in (env_block or {}).items():
            text = self.string(scalar_text(value), path + (name,), default_source="env")
            target[str(name)] = text
            result[str(name)] = text
        return result

    def variables(self, names: Iterable[str] | None = None, display: bool = False) -> dict[str, Any]:
        """The project vars, expanded (display: tolerant, for `config print`)."""
        out = {}
        for name in self.raw_vars if names is None else names:
            raw = self.raw_vars[name]
            if display:
                out[name] = self.tree(raw, ("vars", name), display=True)
            else:
                out[name] = self.var(name, ("vars", name))
        return out

    def var(self, name: str, path: tuple) -> str:
        if name in self._vars:
            return self._vars[name]
        if name in self._resolving:
            cycle = " -> ".join([*self._resolving[self._resolving.index(name):], name])
            raise self.error(("vars", name), f"vars refer to each other in a cycle: {cycle}", [])
        self._resolving.append(name)
        try:
            raw = self.raw_vars[name]
            value = scalar_text(self.tree(raw, ("vars", name)) if isinstance(raw, (dict, list))
                                else self.string(scalar_text(raw), ("vars", name)))
        finally:
            self._resolving.pop()
        self._vars[name] = value
        return value

    # -- one reference --------------------------------------------------------------------------
    def _is_reference(self, text: str, start: int) -> bool:
        """Whether text[start:] (after `${`) is a reference emb expands in a script."""
        m = _REF.match(text, start) or _SOURCED.match(text, start)
        return m is not None and m.group(1) is not None and m.group(1) in self.sources.names()

    def _at(self, text: str, i: int, path: tuple, opts: tuple) -> tuple[str, int]:
        """The value of the `${...}` at text[i] and the index after it."""
        script, default_source, variables, dollar, subject, display = opts
        start = i + 2
        m = _REF.match(text, start) or _SOURCED.match(text, start)
        if m is None or (m.group(1) is None and script) or (
                script and m.group(1) not in self.sources.names()):
            # Shell syntax, or no reference at all: passes through (a `${src:` that does not
            # parse is reported outside scripts, where it cannot be shell syntax).
            if not script and not display:
                head = re.match(r"([A-Za-z_]\w*):(?!-)", text[start:])
                if head is not None:
                    if _closing_brace(text, start) < 0:
                        raise self._fail(path, subject, f"unterminated reference {text[i:start + head.end()]}... "
                                                        "(missing '}}')", ["write \\${ for a literal ${"])
                    raise self._fail(path, subject, f"malformed reference {text[i:_closing_brace(text, start) + 1]}",
                                     [f"use ${{{head.group(1)}:NAME}} or ${{{head.group(1)}:NAME:-fallback}}"])
            return "${", start
        source = m.group(1) or default_source
        key = m.group(2)
        if source in BUILTIN_SOURCES and not re.fullmatch(_KEY, key):
            if script or display:
                return "${", start
            raise self._fail(path, subject, f"malformed reference {text[i:m.end()]}",
                             [f"use ${{{source}:NAME}} or ${{{source}:NAME:-fallback}}"])
        if m.group(3) == "}":
            fallback, end = None, m.end()
        else:
            close = _closing_brace(text, m.end())
            if close < 0:
                if script or display:
                    return "${", start
                raise self._fail(path, subject, f"unterminated reference {text[i:m.end()]}... (missing '}}')",
                                 ["write \\${ for a literal ${"])
            fallback, end = text[m.end():close], close + 1
        whole = text[i:end]
        try:
            value = self._lookup(source, key, whole, path, variables, subject, display)
        except _Unresolved:
            return whole, end
        except EmbError:
            if fallback is None:
                if display:
                    return whole, end
                raise
            value = None
        if value is None or (value == "" and fallback is not None):
            if fallback is None:
                if display:
                    return whole, end
                raise self._missing(source, key, whole, path, variables, subject)
            value = self.string(fallback, path, script=script, default_source=default_source,
                                variables=variables, dollar=dollar, subject=subject, display=display)
        return value, end

    def _lookup(self, source: str, key: str, whole: str, path: tuple, variables, subject: str,
                display: bool) -> str | None:
        """The value (None: unset); EmbError when the source cannot give one."""
        if source == "env":
            return self.environ.get(key)
        if source == "vars":
            if variables is not None and key in variables:
                return variables[key]
            if key not in self.raw_vars:
                return None
            if display:  # tolerant, and never through var(): it would read a secret the var uses
                if key in self._resolving:
                    raise _Unresolved()
                raw = self.raw_vars[key]
                self._resolving.append(key)
                try:
                    if isinstance(raw, (dict, list)):
                        return scalar_text(self.tree(raw, ("vars", key), display=True))
                    return self.string(scalar_text(raw), ("vars", key), display=True)
                finally:
                    self._resolving.pop()
            return self.var(key, path)
        reader = self.sources.get(source)
        if reader is None:
            known = ", ".join(self.sources.names())
            raise self._fail(path, subject, f"unknown source '{source}' in {whole} (sources: {known})",
                             ["write \\${ to keep a literal ${ in the value",
                              "vault and op are sources when their plugin is configured"])
        if display and self.sources.is_secret(source):
            raise _Unresolved()
        try:
            return reader(key)
        except EmbError as err:
            if display:
                raise _Unresolved() from None
            raise err

    def _missing(self, source, key, whole, path, variables, subject) -> ConfigError:
        if source == "env":
            return self._fail(path, subject, f"environment variable {key} is not set (needed by {whole})",
                              [f"export {key}=..., or give a fallback: ${{env:{key}:-value}}"])
        if source == "vars":
            names = [*(variables or {}), *(n for n in self.raw_vars if n not in (variables or {}))]
            where = "the task's `vars:` or the project's `vars:`" if variables is not None else "`vars:` in .emb.yml"
            return self._fail(path, subject, f"undefined variable {whole}",
                              [f"define it under {where} (defined: {', '.join(names) or 'none'})",
                               f"or give a fallback: ${{{key}:-value}}"])
        return self._fail(path, subject, f"{whole} has no value", [])

    def _fail(self, path: tuple, subject: str, message: str, hints: list) -> ConfigError:
        return self.error(path, f"{subject}: {message}" if subject else message, hints)
