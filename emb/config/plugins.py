"""The plugins of `.emb.yml` (SPEC §1), applied in the order they are listed.

- autodocker: every folder matching `glob` (default `*/Dockerfile`) is a component.
- embfiles: every `*/Embfile.yml` / `*/Embfile.yaml` (glob configurable) is merged
  into the component of its folder (created if needed).
- dotenv: load `.env` files (default `.env`) into emb's environment, never
  overriding a variable that is already set; later files win over earlier ones.

Plugins only discover things; merging them into components is emb.config.merge.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, MutableMapping

from emb.config.where import Origins
from emb.config.yamlio import read_mapping

EMBFILE_HINT = "an Embfile holds a component's keys: description, kubernetes, tasks, flavors"


@dataclass
class Found:
    """A component folder a plugin found."""

    folder: str  # relative to the monorepo root, posix ("." for the root itself)
    file: Path  # the file that made it a component (Dockerfile or Embfile)
    data: dict | None = None  # the Embfile's content (None for autodocker)


@dataclass
class PluginRun:
    root: Path
    environ: MutableMapping[str, str]
    origins: Origins
    found: list[Found] = field(default_factory=list)
    embfiles: list[tuple[Path, bytes, dict]] = field(default_factory=list)  # for validation
    fingerprint_parts: list[str] = field(default_factory=list)


def run_plugins(plugins: list, run: PluginRun, expand: Callable[[Any, tuple], Any]) -> None:
    for index, entry in enumerate(plugins or []):
        name, config = (entry, None) if isinstance(entry, str) else (entry.get("name"), entry.get("config"))
        path = ("plugins", index, "config")
        config = expand(config, path)
        PLUGINS[name](config, run, path)


def _globs(value: Any, default: list[str]) -> list[str]:
    if value is None:
        return default
    return [value] if isinstance(value, str) else list(value)


def _matches(run: PluginRun, patterns: list[str], path: tuple) -> list[Path]:
    """Files under the root matching any pattern, sorted, skipping hidden folders (.git, .emb)."""
    hits: set[Path] = set()
    for i, pattern in enumerate(patterns):
        try:
            for hit in run.root.glob(pattern):
                rel = hit.relative_to(run.root).parts
                if not any(part.startswith(".") for part in rel[:-1]) and hit.is_file():
                    hits.add(hit)
        except (ValueError, NotImplementedError) as exc:
            raise run.origins.error(path + ("glob",), f"invalid glob '{pattern}': {exc}",
                                    ["globs are relative to the monorepo root, e.g. */Dockerfile"]) from None
    return sorted(hits)


def _ignored(folder: str, file_rel: str, ignore: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(folder, g) or fnmatch.fnmatchcase(file_rel, g) or
               fnmatch.fnmatchcase(folder + "/", g) for g in ignore)


def _folder(run: PluginRun, file: Path) -> str:
    return file.parent.relative_to(run.root).as_posix() or "."


def autodocker(config: dict | None, run: PluginRun, path: tuple) -> None:
    config = config or {}
    ignore = _globs(config.get("ignore"), [])
    for file in _matches(run, _globs(config.get("glob"), ["*/Dockerfile"]), path):
        folder = _folder(run, file)
        if not _ignored(folder, file.relative_to(run.root).as_posix(), ignore):
            run.found.append(Found(folder, file))
            run.fingerprint_parts.append("autodocker:" + folder)


def embfiles(config: dict | None, run: PluginRun, path: tuple) -> None:
    config = config or {}
    ignore = _globs(config.get("ignore"), [])
    seen: dict[str, Path] = {}
    for file in _matches(run, _globs(config.get("glob"), ["*/Embfile.yml", "*/Embfile.yaml"]), path):
        folder = _folder(run, file)
        if _ignored(folder, file.relative_to(run.root).as_posix(), ignore):
            continue
        if folder in seen:
            raise run.origins.error(path, f"two Embfiles in folder {folder}: {seen[folder].name} and {file.name}",
                                    ["keep one of them"])
        seen[folder] = file
        raw, data = read_mapping(file, "the Embfile", EMBFILE_HINT)
        run.found.append(Found(folder, file, data))
        run.embfiles.append((file, raw, data))
        run.fingerprint_parts.append("embfile:" + folder)


def dotenv(config: Any, run: PluginRun, path: tuple) -> None:
    from dotenv import dotenv_values  # only monorepos using the plugin pay for the import

    before = set(run.environ)
    for name in _globs(config, [".env"]):
        file = run.root / os.path.expanduser(name)
        if not file.is_file():
            continue  # optional by nature (.env.local); a missing file is not an error
        try:
            values = dotenv_values(file)
        except (OSError, UnicodeDecodeError) as exc:
            raise run.origins.error(path, f"cannot read {file}: {exc}") from None
        for key, value in values.items():
            if key not in before and value is not None:
                run.environ[key] = value


PLUGINS = {"autodocker": autodocker, "embfiles": embfiles, "dotenv": dotenv}
