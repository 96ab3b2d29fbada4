"""Secret sources: `${vault:PATH#KEY}` and `${op:VAULT/ITEM#FIELD}` (SPEC §7).

The `vault` and `op` plugins each configure a provider; `SecretSources` holds
the providers of one invocation and is what the expander calls: a source is a
callable `(body) -> value`, body being the text between `vault:` / `op:` and
the closing `}` (or the `:-fallback`).

- Lazy: nothing is read when the configuration loads; a value is read the
  first time something needs it (a task's vars, `emb secrets validate`).
- At most once per invocation: values (and failures) are kept in memory by
  (provider, path, key); nothing is ever written to disk.
- Every value is registered with emb.redact the moment it is read, before
  anything could print it: emb's own output shows it as `***`.
- Masked mode (`--dry-run`): the source answers `***` without reading
  anything, so a dry run works with Vault down. (`config print` never calls a
  secret source: it shows the reference as written, emb.config.values.)
"""

from __future__ import annotations

import importlib
from typing import Any, Iterator, Mapping, NamedTuple

from emb import launch, redact
from emb.config.secrets.common import (  # noqa: F401 (re-exported)
    FAILED, NOT_CONFIGURED, NOT_FOUND, NOT_INSTALLED, NOT_LOGGED_IN, PERMISSION_DENIED, PROVIDER_WIDE,
    SEALED, TIMEOUT, UNREACHABLE, Reference, SecretError, Status)
from emb.config.expand import BUILTIN_SOURCES, Expander, Sources, find_references
from emb.errors import ConfigError, EmbError

# name -> "module:class", imported when a secret of that provider is first needed: the
# providers import emb.process, which `emb tasks` and the other listings never load.
PROVIDERS = {"vault": "emb.config.secrets.vault:Vault", "op": "emb.config.secrets.onepassword:OnePassword"}


class SecretSources:
    """The secret providers of one invocation, their values and failures (in memory only)."""

    def __init__(self) -> None:
        self._configs: dict[str, tuple[Any, Mapping[str, str]]] = {}
        self._providers: dict[str, Any] = {}
        self.masked = False  # --dry-run / config print: answer *** without reading
        self._values: dict[Reference, str] = {}
        self._failures: dict[Reference, SecretError] = {}
        self._provider_failures: dict[str, tuple[Reference, SecretError]] = {}

    def configure(self, name: str, config: Any, launch_env: Mapping[str, str] | None = None) -> None:
        """The `vault` / `op` plugin: make the provider (reads nothing)."""
        env = launch.launch_environ() if launch_env is None else launch_env
        self._configs[name] = (config or {}, env)
        self._providers.pop(name, None)

    @property
    def names(self) -> tuple[str, ...]:
        """The configured providers, in plugin order."""
        return tuple(self._configs)

    def provider(self, name: str) -> Any:
        """The provider `name` (made on first use); None when its plugin is not configured."""
        if name not in self._providers:
            if name not in self._configs:
                return None
            module, cls = PROVIDERS[name].split(":")
            config, env = self._configs[name]
            self._providers[name] = getattr(importlib.import_module(module), cls)(config, env)
        return self._providers[name]

    def reader(self, name: str) -> "SourceReader":
        """The expansion source `name`: a callable(body) -> value for the expander."""
        return SourceReader(self, name)

    def expand(self, provider: str, body: str) -> str:
        ref = self.provider(provider).parse(body)
        if self.masked:
            return redact.MASK
        return self.read(ref)

    def read(self, ref: Reference) -> str:
        """The value of `ref`: read through the provider's CLI the first time, then from memory."""
        if ref in self._values:
            return self._values[ref]
        if ref in self._failures:
            raise self._failures[ref]
        if ref.provider in self._provider_failures:  # the same failure, no second wait
            first, err = self._provider_failures[ref.provider]
            raise SecretError(err.message.replace(first.text(), ref.text()), err.hints, kind=err.kind)
        provider = self.provider(ref.provider)
        if provider is None:
            raise ConfigError(f"{ref.text()} needs the {ref.provider} plugin, which is not configured",
                              [f"add it to .emb.yml: plugins: [{{name: {ref.provider}}}]"])
        try:
            value = provider.read(ref)
        except SecretError as err:
            self._failures[ref] = err
            if err.kind in PROVIDER_WIDE:
                self._provider_failures[ref.provider] = (ref, err)
            raise
        redact.register(value)  # before anything can print it
        self._values[ref] = value
        return value

    def status(self, name: str) -> Status:
        return self.provider(name).status()


class SourceReader:
    """`${NAME:body}` -> the secret; keeps its SecretSources reachable from the expander."""

    __slots__ = ("secrets", "name")

    def __init__(self, secrets: SecretSources, name: str):
        self.secrets = secrets
        self.name = name

    def __call__(self, body: str) -> str:
        return self.secrets.expand(self.name, body)


def secrets_of(monorepo: Any) -> SecretSources:
    """The SecretSources of a loaded monorepo (the ones its vault/op plugins configured),
    found through the load's expansion sources; an empty one when none is configured."""
    sources = getattr(getattr(monorepo, "expander", None), "sources", None)
    for name in PROVIDERS:
        reader = sources.get(name) if sources is not None else None
        if isinstance(reader, SourceReader):
            return reader.secrets
    return SecretSources()


# -- finding references (emb secrets) -------------------------------------------------------------

class Usage(NamedTuple):
    provider: str
    body: str
    where: str  # "tasks.migrate.vars.DATABASE_URL"


def scan(tree: Any, path: tuple = ()) -> Iterator[Usage]:
    """Every secret reference in a configuration tree (unexpanded), with where it is used."""
    if isinstance(tree, str):
        if "${" in tree:  # parsed as the expander parses it
            for source, body, _ in find_references(tree):
                if source in PROVIDERS:
                    yield Usage(source, body, ".".join(str(p) for p in path))
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from scan(value, path + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from scan(value, path + (index,))


# -- emb secrets: the references of a configuration, and checking them --------------------------------

class Entry(NamedTuple):
    """One reference as `emb secrets` lists it (EMB 0.30's JSON names, plus usedIn)."""

    provider: str
    path: str
    key: str
    component: str | None
    used_in: tuple[str, ...]  # "components.api.tasks.migrate.vars.DATABASE_URL", ...

    def record(self) -> dict:
        return {"provider": self.provider, "path": self.path, "key": self.key, "component": self.component,
                "usageCount": len(self.used_in), "usedIn": list(self.used_in)}


def _path_key(body: str) -> tuple[str, str]:
    path, sep, key = body.rpartition("#")
    return (path, key) if sep else (body, "")


def entries(document: Mapping[str, Any]) -> list[Entry]:
    """Every secret reference of a (merged, unexpanded) configuration document, one entry per
    reference and component, in the order they appear. Reads nothing."""
    grouped: dict[tuple, list[str]] = {}
    for usage in scan(document):
        parts = usage.where.split(".")
        component = parts[1] if len(parts) > 1 and parts[0] == "components" else None
        path, key = _path_key(usage.body)
        grouped.setdefault((usage.provider, path, key, component), []).append(usage.where)
    return [Entry(p, path, key, c, tuple(where)) for (p, path, key, c), where in grouped.items()]


class Check(NamedTuple):
    """The outcome of reading one reference for `emb secrets validate` (never the value)."""

    provider: str
    path: str
    key: str
    error: Any = None  # the EmbError, None when the secret was read

    @property
    def ok(self) -> bool:
        return self.error is None

    def record(self) -> dict:
        out = {"provider": self.provider, "path": self.path, "key": self.key,
               "status": "ok" if self.ok else "error"}
        if not self.ok:
            out["error"] = redact.mask(self.error.message)
            out["kind"] = getattr(self.error, "kind", "invalid")
            out["hints"] = [redact.mask(h) for h in self.error.hints]
        return out


def check(secrets: SecretSources, entry: Entry) -> Check:
    """Read one reference (through the invocation's memory: each secret at most once)."""
    body = f"{entry.path}#{entry.key}" if entry.key else entry.path
    try:
        provider = secrets.provider(entry.provider)
        if provider is None:
            secrets.read(Reference(entry.provider, entry.path, entry.key))  # raises: not configured
        secrets.read(provider.parse(body))
    except EmbError as err:
        return Check(entry.provider, entry.path, entry.key, err)
    return Check(entry.provider, entry.path, entry.key)


# -- secrets in task scripts ---------------------------------------------------------------------------

SCRIPT_VARIABLE = "EMB_SECRET_{}"


def script_secrets(expander: Expander, script: str, path: tuple, subject: str) -> tuple[str, dict[str, str]]:
    """A task script expanded (script rules), with each secret reference replaced by
    `${EMB_SECRET_N}`, a variable of the task's environment: a script is a command-line
    argument (`sh -c SCRIPT`, visible in /proc to every user), a secret never is.
    Returns (script, {EMB_SECRET_N: value})."""
    sources = expander.sources
    secret = [n for n in sources.names() if n not in BUILTIN_SOURCES and sources.is_secret(n)]
    if not secret or "${" not in script:
        return expander.string(script, path, script=True, subject=subject), {}
    values: dict[str, str] = {}
    names: dict[tuple[str, str], str] = {}
    wrapped = Sources()
    for name in sources.names():
        if name in BUILTIN_SOURCES:
            continue
        reader = sources.get(name)
        if name in secret:
            def as_variable(body: str, name: str = name, reader=reader) -> str:
                value = reader(body)  # reads (or fails, then a fallback applies) first
                var = names.setdefault((name, body), SCRIPT_VARIABLE.format(len(names) + 1))
                values[var] = value
                return "${" + var + "}"
            wrapped.register(name, as_variable, secret=True)
        else:
            wrapped.register(name, reader)
    here = Expander(expander.environ, expander.raw_vars, expander.error, wrapped)
    return here.string(script, path, script=True, subject=subject), values
