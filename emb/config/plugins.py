"""The plugins of `.emb.yml` (SPEC §1), applied in the order they are listed.

- autodocker: every folder matching `glob` (default `*/Dockerfile`) is a component,
  with a resource `image: {type: docker/image}` unless it declares its own `image`.
- embfiles: every `*/Embfile.yml` / `*/Embfile.yaml` (glob configurable), and the
  Embfile in the folder of every component known so far, is merged into the
  component of its folder (created if needed). An empty Embfile is an empty component.
- dotenv: load `.env` files (default `.env`) into emb's environment, never
  overriding a variable that is already set; later files win over earlier ones.
- vault, op: secret sources `${vault:PATH#KEY}`, `${op:VAULT/ITEM#FIELD}`
  (emb.config.secrets); configuring them reads nothing.

Plugins only discover things; merging them into components is emb.config.merge.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import posixpath
from pathlib import Path
from typing import Any, Callable, MutableMapping

from emb.config.where import Origins, config_error
from emb.config.cache import ParseCache
from emb.config.expand import Sources
from emb.config.secrets import SecretSources
from emb.config.yamlio import read_mapping

EMBFILE_NAMES = ("Embfile.yml", "Embfile.yaml")
EMBFILE_HINT = "an Embfile holds a component's keys: description, kubernetes, tasks, flavors"


class Found:
    """A component folder a plugin found. (Plain classes, not dataclasses: each
    @dataclass costs about a millisecond of start-up.)"""

    __slots__ = ("folder", "file", "data")

    def __init__(self, folder: str, file: Path, data: dict | None = None):
        self.folder = folder  # relative to the monorepo root, posix ("." for the root itself)
        self.file = file  # the file that made it a component (Dockerfile or Embfile)
        self.data = data  # the Embfile's content (None for autodocker)


class PluginRun:
    """What plugins read (root, environment) and what they found."""

    def __init__(self, root: Path, environ: MutableMapping[str, str], origins: Origins,
                 parse_cache: ParseCache | None = None, declared_folders: tuple[str, ...] = (),
                 sources: Sources | None = None):
        self.root = root
        self.declared_folders = declared_folders  # folders of the components inline in .emb.yml
        self.environ = environ
        self.origins = origins
        self.parse_cache = parse_cache
        self.found: list[Found] = []
        self.embfiles: list[tuple[Path, bytes, dict]] = []  # for validation
        self.fingerprint_parts: list[str] = []  # what was found, for the validation cache key
        # Expansion sources of this load: a secret plugin registers its own here
        # (run.sources.register("vault", reader, secret=True); see emb.config.expand).
        self.sources = sources if sources is not None else Sources()
        self.secrets = SecretSources()  # the vault / op providers the plugins configure


def run_plugins(plugins: list, run: PluginRun, expand: Callable[[Any, tuple], Any]) -> None:
    for index, entry in enumerate(plugins or []):
        name, config = (entry, None) if isinstance(entry, str) else (entry.get("name"), entry.get("config"))
        path = ("plugins", index, "config")
        plugin = PLUGINS.get(name)
        if plugin is None:  # accepted by the schema (EMB 0.30 has it), not provided by this emb
            raise run.origins.error(("plugins", index, "name"), f"plugin '{name}' is not available in this emb",
                                    [f"plugins: {', '.join(PLUGINS)}"])
        config = expand(config, path)
        plugin(config, run, path)


def _globs(value: Any, default: list[str]) -> list[str]:
    if value is None:
        return default
    return [value] if isinstance(value, str) else list(value)


def _matches(run: PluginRun, patterns: list[str], path: tuple) -> list[str]:
    """Files under the root matching any pattern (posix paths relative to the root),
    sorted. Hidden folders (.git, .emb) are not searched: glob's `*` skips them."""
    hits: set[str] = set()
    for pattern in patterns:
        if os.path.isabs(pattern) or ".." in pattern.split("/"):
            raise run.origins.error(path + ("glob",), f"invalid glob '{pattern}': it must stay inside the monorepo",
                                    ["globs are relative to the monorepo root, e.g. */Dockerfile"])
        for hit in glob.glob(pattern, root_dir=run.root, recursive=True):
            if os.path.isfile(os.path.join(run.root, hit)):
                hits.add(hit.replace(os.sep, "/"))
    return sorted(hits)


def _ignored(folder: str, file_rel: str, ignore: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(folder, g) or fnmatch.fnmatchcase(file_rel, g) or
               fnmatch.fnmatchcase(folder + "/", g) for g in ignore)


def _folder(file_rel: str) -> str:
    return posixpath.dirname(file_rel) or "."


def autodocker(config: dict | None, run: PluginRun, path: tuple) -> None:
    config = config or {}
    ignore = _globs(config.get("ignore"), [])
    for rel in _matches(run, _globs(config.get("glob"), ["*/Dockerfile"]), path):
        folder = _folder(rel)
        if not _ignored(folder, rel, ignore):
            run.found.append(Found(folder, run.root / rel))
            run.fingerprint_parts.append("autodocker:" + folder)


def embfiles(config: dict | None, run: PluginRun, path: tuple) -> None:
    config = config or {}
    ignore = _globs(config.get("ignore"), [])
    seen: dict[str, Path] = {}
    found = set(_matches(run, _globs(config.get("glob"), ["*/Embfile.yml", "*/Embfile.yaml"]), path))
    # Also the Embfile of every component known so far (declared in .emb.yml, or found by
    # an earlier plugin), wherever its folder is: `api: {rootDir: services/api}` gets
    # services/api/Embfile.yml without a glob reaching that deep.
    for folder in [*run.declared_folders, *(f.folder for f in run.found)]:
        for name in EMBFILE_NAMES:
            rel = name if folder == "." else f"{folder}/{name}"
            if os.path.isfile(os.path.join(run.root, rel)):
                found.add(rel)
    for rel in sorted(found):
        folder = _folder(rel)
        if _ignored(folder, rel, ignore):
            continue
        file = run.root / rel
        if folder in seen:
            raise run.origins.error(path, f"two Embfiles in folder {folder}: {seen[folder].name} and {file.name}",
                                    ["keep one of them"])
        seen[folder] = file
        raw, data = read_mapping(file, "the Embfile", EMBFILE_HINT, run.parse_cache, empty_ok=True)
        run.found.append(Found(folder, file, data))
        run.embfiles.append((file, raw, data))
        run.fingerprint_parts.append("embfile:" + folder)


def parse_dotenv(file: Path, raw: bytes) -> dict:
    """A .env file's variables (python-dotenv's parser, imported only on a cache miss:
    it costs ~20 ms of start-up)."""
    import io

    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(raw.decode("utf-8"))))


def dotenv(config: Any, run: PluginRun, path: tuple) -> None:
    before = set(run.environ)
    for name in _globs(config, [".env"]):
        file = run.root / os.path.expanduser(name)
        if not file.is_file():
            continue  # optional by nature (.env.local); a missing file is not an error
        try:
            raw = file.read_bytes()
            values = (run.parse_cache.parse(file, raw, parse_dotenv) if run.parse_cache is not None
                      else parse_dotenv(file, raw))
        except (OSError, UnicodeDecodeError) as exc:
            raise run.origins.error(path, f"cannot read {file}: {exc}") from None
        for key, value in values.items():
            if key not in before and value is not None:
                try:
                    if "\0" in key or "\0" in value or not key or "=" in key:
                        raise ValueError(key)
                    run.environ[key] = value
                except ValueError:  # a NUL byte, an empty name or one holding '=': no environment can carry it
                    nul = raw.find(b"\0")
                    raise config_error(
                        file, (), f"cannot export {key!r}: a variable name or value holds a NUL character, "
                                  "or the name is empty or holds '='",
                        ["remove the NUL (\\0) or fix the name; variable names are letters, digits and '_'"],
                        line=None if nul < 0 else raw[:nul].count(b"\n") + 1, find_line=False) from None


def vault(config: Any, run: PluginRun, path: tuple) -> None:
    _secret_source("vault", config, run)


def op(config: Any, run: PluginRun, path: tuple) -> None:
    _secret_source("op", config, run)


def _secret_source(name: str, config: Any, run: PluginRun) -> None:
    """Configure the provider (reading nothing) and register `${NAME:...}` as a secret source."""
    run.secrets.configure(name, config)
    run.sources.register(name, run.secrets.reader(name), secret=True)


PLUGINS = {"autodocker": autodocker, "embfiles": embfiles, "dotenv": dotenv, "vault": vault, "op": op}
