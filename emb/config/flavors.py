"""Flavors: RFC 6902 JSON Patches applied for `--flavor NAME` (SPEC §1 "Flavors").

Component-level patches first (paths relative to the component), then
project-level patches (paths relative to the whole document). `patch` is a
synonym of `patches`. A flavor may be declared only at component level.
"""

from __future__ import annotations

from typing import Any, Callable

from emb.config.merge import FlavorSource
from emb.config.where import Origins, config_error, pointer


def available(sources: list[FlavorSource]) -> list[str]:
    names: list[str] = []
    for source in sources:
        names += [str(n) for n in source.flavors if str(n) not in names]
    return sorted(names)


def apply_flavor(doc: dict, flavor: str, sources: list[FlavorSource], origins: Origins,
                 expand: Callable[..., Any] | None = None) -> dict:
    """Return the document with the flavor's patches applied (component level first).

    expand(value, landing, file, file_path): a patch's `value` before it is applied,
    given the path it lands at in the merged document and where the patch is written (emb.config.values.expand_patch_value)."""
    known = available(sources)
    if flavor not in known:
        raise config_error(
            origins.default_file, (), f"unknown flavor '{flavor}' (available: {', '.join(known) or 'none defined'})",
            ["pass one of the available flavors to --flavor / EMB_FLAVOR, or declare it under `flavors:`"],
        )
    ordered = [s for s in sources if s.component is not None] + [s for s in sources if s.component is None]
    for source in ordered:
        spec = source.flavors.get(flavor)
        if spec is None:
            continue
        spec = spec or {}
        key = "patches" if "patches" in spec else "patch"
        if "patches" in spec and "patch" in spec:
            raise config_error(source.file, source.file_path + (flavor, "patch"),
                               f"flavor '{flavor}' has both `patches` and `patch`",
                               ["`patch` is a synonym of `patches`: keep one"], key=True)
        for index, op in enumerate(spec.get(key) or []):
            op_path = source.file_path + (flavor, key, index)
            if expand is not None and isinstance(op, dict) and "value" in op:
                landing = (("components", source.component) if source.component else ()) + _split(op.get("path", ""))
                op = {**op, "value": expand(op["value"], landing, source.file, op_path + ("value",))}
            if source.component is None:
                before = _root_dir(doc)
                doc = _apply(doc, op, flavor, source, op_path, ())
                if _root_dir(doc) != before:
                    # The monorepo's root is where plugins found the components, before
                    # any flavor applies: a patched value would show but not be used.
                    raise config_error(
                        source.file, op_path,
                        f"flavor '{flavor}': patch #{index + 1} changes project.rootDir, which a flavor cannot change",
                        ["components are found from project.rootDir before flavors apply; "
                         "patch a component's rootDir instead, or keep one .emb.yml per root"])
            else:
                components = doc.get("components") or {}
                if source.component not in components:
                    continue  # removed by an earlier patch: nothing left to patch
                components[source.component] = _apply(
                    components[source.component], op, flavor, source, op_path, ("components", source.component))
            target = _split(op.get("path", ""))
            origins.add(("components", source.component, *target) if source.component else target,
                        source.file, op_path + ("value",))
    return doc


def _root_dir(doc) -> object:
    project = doc.get("project") if isinstance(doc, dict) else None
    return project.get("rootDir", ".") if isinstance(project, dict) else None


def _split(ptr: str) -> tuple:
    if not ptr:
        return ()
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:])


def _apply(target, op: dict, flavor: str, source: FlavorSource, op_path: tuple, prefix: tuple):
    import jsonpatch  # only flavored runs pay for it
    import jsonpointer

    try:
        return jsonpatch.JsonPatch([op]).apply(target, in_place=True)
    except jsonpatch.JsonPatchTestFailed:
        reason = "the `test` value does not match"
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException, jsonpatch.InvalidJsonPatch,
            KeyError, IndexError, TypeError):
        reason = f"{_missing(target, op)} does not exist"
    where = f" in component {source.component}" if source.component else ""
    shown = f"{op.get('op')} {op.get('path')}" + (f" from {op['from']}" if "from" in op else "")
    raise config_error(
        source.file, op_path,
        f"flavor '{flavor}': patch #{op_path[-1] + 1} ({shown}) failed: path {reason}{where}",
        [f"paths are relative to {'the component' if source.component else 'the whole document'}; "
         "`add` needs the parent to exist: add it first, e.g. {op: add, path: /PARENT, value: {}}"],
    )


def _missing(target, op: dict) -> str:
    """The first part of the op's path (or `from`) that does not exist in the target."""
    for ptr in (op.get("from"), op.get("path")):
        if ptr is None:
            continue
        node = target
        parts = _split(ptr)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif last and op.get("op") == "add" and ptr == op.get("path") and isinstance(node, (dict, list)):
                break  # add may create the last part
            else:
                return pointer(parts[: i + 1])
    return pointer(_split(op.get("path", "")))
