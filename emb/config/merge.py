"""Merge the components found by plugins with the inline `components:` of .emb.yml.

Rules (docs/configuration.md):
- A folder found by autodocker and an Embfile in the same folder are one component.
- An inline component binds its folder (`rootDir`, default: its name): what plugins
  found in that folder merges into it, under the inline name. If several inline
  components share a folder, the one named like the folder (else the first) gets it.
- Other found folders become components named after the folder (its last part).
- Two components with the same name from different folders are an error.
- In a merge (as EMB 0.30): .emb.yml's inline keys first, then what plugins found
  in the folder (the Embfile) over them: mappings merge key by key (a task in
  both files is one task), lists are concatenated, the Embfile wins for scalars;
  flavors of the same name have their patches applied Embfile first, then .emb.yml.
- A folder found by autodocker gets the resource `image: {type: docker/image, params: {}}`
  unless the component declares a resource named `image`.

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
        _absorb(merged, name, comp or {}, config_file, ("components", name), origins, flavor_sources)
        if owner.get(folder) == name:
            for item in by_folder[folder]:
                _absorb(merged, name, item.data, item.file, (), origins, flavor_sources)
            add_autodocker_image(merged, name, by_folder[folder], config_file, origins)
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
        add_autodocker_image(merged, name, items, config_file, origins)
        components[name] = merged
    return components, flavor_sources


def _absorb(merged: dict, name: str, fragment: dict | None, file: Path, file_prefix: tuple,
            origins: Origins, flavor_sources: list[FlavorSource]) -> None:
    """Merge one file's keys for a component into `merged` (as EMB 0.30 does: mappings
    key by key, lists concatenated, the later file wins for scalars), recording where
    each value came from."""
    if not fragment:
        return
    for key, value in fragment.items():
        if key == "flavors":
            flavor_sources.append(FlavorSource(name, value or {}, file, file_prefix + ("flavors",)))
        elif key == "rootDir":
            continue  # already normalized into merged["rootDir"]
        else:
            _deep(merged, key, value, ("components", name, key), file, file_prefix + (key,), origins)


def _deep(target: dict, key, value, here: tuple, file: Path, file_path: tuple, origins: Origins) -> None:
    """target[key] merged with value. What was read from a file is never changed in
    place (the parse cache and other components share it): merged levels are copies."""
    old = target.get(key)
    if isinstance(old, dict) and isinstance(value, dict):
        old = target[key] = dict(old)
        for sub, item in value.items():
            _deep(old, sub, item, here + (sub,), file, file_path + (sub,), origins)
    elif isinstance(old, list) and isinstance(value, list):
        target[key] = [*old, *value]
        for i in range(len(value)):
            origins.add(here + (len(old) + i,), file, file_path + (i,))
    else:
        target[key] = value
        origins.add(here, file, file_path)


def add_autodocker_image(merged: dict, name: str, items: list[Found], config_file: Path, origins: Origins) -> None:
    """A folder found by autodocker has the resource `image: {type: docker/image}`
    (SPEC §1 Plugins), unless the component declares a resource named image."""
    if not any(item.data is None for item in items):
        return
    resources = merged.get("resources")
    if isinstance(resources, dict) and "image" in resources:
        image = resources["image"]
        if isinstance(image, dict) and "params" not in image:
            # EMB 0.30 merges autodocker's `params: {}` into it: a flavor may `add` to it.
            merged["resources"] = {**resources, "image": {**image, "params": {}}}  # copies: files' data stay as read
        return
    # `params: {}` as EMB 0.30's autodocker gives it, so a flavor may add to it.
    merged["resources"] = {"image": {"type": "docker/image", "params": {}}, **(resources or {})}
    origins.add(("components", name, "resources", "image"), config_file, ("plugins",))
