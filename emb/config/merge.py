"""Merge the components found by plugins with the inline `components:` of .emb.yml.

Rules (docs/configuration.md):
- A folder found by autodocker and an Embfile in the same folder are one component.
- An inline component binds its folder (`rootDir`, default: its name): what plugins
  found in that folder merges into it, under the inline name. If several inline
  components share a folder, the one named like the folder (else the first) gets it.
- Other found folders become components named after the folder (its last part).
- Two components with the same name from different folders are an error.
- In a merge, .emb.yml wins for description and kubernetes keys; a task defined
  in both the Embfile and .emb.yml is a duplicate task id (an error); flavors of
  the same name have their patches applied Embfile first, then .emb.yml.

Component flavors are taken out of the merged document here and returned
separately, with the file they came from, for emb.config.flavors.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from emb.config.plugins import Found
from emb.config.where import Origins, config_error, display

# The schema's `name` ($defs/name in defs.schema.json), for names that come from folders.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class FlavorSource:
    """The `flavors:` mapping of one file, for one component (or the project if component is None)."""

    __slots__ = ("component", "flavors", "file", "file_path")

    def __init__(self, component: str | None, flavors: dict, file: Path, file_path: tuple):
        self.component = component
        self.flavors = flavors
        self.file = file
        self.file_path = file_path  # path of the `flavors` mapping inside that file


def normalize_folder(folder: str) -> str:
    norm = posixpath.normpath(folder.replace("\\", "/"))
    return "." if norm in ("", ".") else norm


def merge_components(doc: dict, found: list[Found], config_file: Path, root: Path,
                     origins: Origins) -> tuple[dict, list[FlavorSource]]:
    inline = doc.get("components") or {}
    by_folder: dict[str, list[Found]] = {}
    for item in found:
        by_folder.setdefault(normalize_folder(item.folder), []).append(item)

    inline_folder = {name: normalize_folder(str((c or {}).get("rootDir", name))) for name, c in inline.items()}
    for name, folder in inline_folder.items():
        if posixpath.isabs(folder):
            raise origins.error(("components", name, "rootDir"), f"rootDir {folder} is absolute",
                                ["component folders are relative to the monorepo root (project.rootDir)"])
    owner: dict[str, str] = {}  # folder -> inline component name receiving what plugins found there
    for name, folder in inline_folder.items():
        base = posixpath.basename(folder) if folder != "." else root.name
        if folder in by_folder and (folder not in owner or name == base):
            owner[folder] = name

    components: dict[str, dict] = {}
    claimed: dict[str, tuple[str, str]] = {}  # name -> (folder, where it came from)
    flavor_sources: list[FlavorSource] = []

    def claim(name: str, folder: str, source: str) -> None:
        if name in claimed and claimed[name][0] != folder:
            other_folder, other_source = claimed[name]
            raise origins.error(
                ("components", name) if name in inline else (),
                f"two components are named '{name}': folder {other_folder} ({other_source}) "
                f"and folder {folder} ({source})",
                ["give one of them another name with an inline component: "
                 f"components: {{NAME: {{rootDir: {folder}}}}}"],
            )
        claimed[name] = (folder, source)

    for name, comp in inline.items():
        folder = inline_folder[name]
        claim(str(name), folder, display(config_file))
        merged = {"rootDir": folder}
        origins.add(("components", name), config_file)
        if owner.get(folder) == name:
            for item in by_folder[folder]:
                _absorb(merged, name, item.data, item.file, (), origins, flavor_sources)
        _absorb(merged, name, comp or {}, config_file, ("components", name), origins, flavor_sources)
        components[name] = merged

    for folder in sorted(by_folder):
        if folder in owner:
            continue
        items = by_folder[folder]
        name = posixpath.basename(folder) if folder != "." else root.name
        source = display(items[-1].file)
        if not NAME.fullmatch(name):
            # The schema checks names written in .emb.yml; a folder's name must pass the same
            # rule (it becomes a task id, a Compose service, a kubectl argument).
            raise config_error(
                items[-1].file, (), f"folder {folder} would be a component named {name!r}, which is not a valid name",
                ["component names are letters, digits, '_', '.' and '-', starting with a letter, digit or '_'",
                 f"rename the folder, or name it inline: components: {{NAME: {{rootDir: {folder}}}}}"],
                find_line=False)
        claim(name, folder, source)
        merged = {"rootDir": folder}
        embfile = next((i.file for i in items if i.data is not None), None)
        origins.add(("components", name), embfile or config_file, () if embfile else ("plugins",))
        for item in items:
            _absorb(merged, name, item.data, item.file, (), origins, flavor_sources)
        components[name] = merged
    return components, flavor_sources


def _absorb(merged: dict, name: str, fragment: dict | None, file: Path, file_prefix: tuple,
            origins: Origins, flavor_sources: list[FlavorSource]) -> None:
    """Merge one file's keys for a component into `merged`, recording where each came from."""
    if not fragment:
        return
    for key, value in fragment.items():
        here = ("components", name, key)
        if key == "flavors":
            flavor_sources.append(FlavorSource(name, value or {}, file, file_prefix + ("flavors",)))
        elif key == "tasks":
            tasks = merged.setdefault("tasks", {})
            for task_name, task in (value or {}).items():
                if task_name in tasks:
                    first, _ = origins.locate(here + (task_name,))
                    raise config_error(
                        file, file_prefix + ("tasks", task_name),
                        f"duplicate task id {name}:{task_name}: also defined in {display(first)}",
                        ["define each task once (use a flavor to change it for an environment)"], key=True)
                tasks[task_name] = task
                origins.add(here + (task_name,), file, file_prefix + ("tasks", task_name))
        elif key == "kubernetes" and isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
            for sub in value:
                origins.add(here + (sub,), file, file_prefix + (key, sub))
        elif key == "rootDir":
            continue  # already normalized into merged["rootDir"]
        else:
            merged[key] = value
            origins.add(here, file, file_prefix + (key,))

