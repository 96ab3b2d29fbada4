"""PATCH bodies: JSON merge patch, JSON patch, and the subset of strategic merge patch
kubectl sends (`rollout restart`, `set image`, `set env`, `label`, `annotate`, `scale`)."""

from __future__ import annotations

import copy
from typing import Any

from .status import ApiError, bad_request

# Lists of objects that strategic merge patch merges item by item, with their key.
_MERGE_KEYS = ("name", "containerPort", "mountPath", "ip", "type")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(items: list) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _MERGE_KEYS:
        if all(key in i for i in items if i.get("$patch") != "replace"):
            return key
    return None


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):  # $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList/...
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value)
        else:
            result[key] = strategic_merge_patch(result.get(key), value)
    return result


def _merge_list(current: Any, patch: list) -> list:
    key = _merge_key(patch)
    if key is None or not isinstance(current, list):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    merged = copy.deepcopy(current)
    for item in patch:
        if item.get("$patch") == "replace":
            return [copy.deepcopy(i) for i in patch if i.get("$patch") != "replace"]
        index = next((n for n, old in enumerate(merged)
                      if isinstance(old, dict) and old.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
        elif index is None:
            merged.append(strategic_merge_patch({}, item))
        else:
            merged[index] = strategic_merge_patch(merged[index], item)
    return merged


def apply_patch(target: dict, content_type: str, patch: Any) -> dict:
    kind = content_type.split(";")[0].strip()
    if kind == "application/json-patch+json":
        import jsonpatch

        try:
            return jsonpatch.apply_patch(target, patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: {exc}")
    if kind == "application/merge-patch+json":
        return merge_patch(target, patch)
    if kind == "application/strategic-merge-patch+json":
        return strategic_merge_patch(target, patch)
    if kind == "application/apply-patch+yaml":
        raise ApiError(415, "UnsupportedMediaType", "server-side apply is not supported by kubesim")
    raise bad_request(f"unsupported patch type {kind!r}")
