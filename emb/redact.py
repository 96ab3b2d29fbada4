"""Values emb must never show: resolved secrets (SPEC §7), masked as `***`.

A leaf module. Whoever learns a secret value registers it (the secret
sources, when they read one); everything that prints or stores emb's own
text passes it through `mask` / `mask_data` (emb.output, --dry-run, --json,
errors). The task itself still receives the real value, in its environment.
"""

from __future__ import annotations

import os
from typing import Any

MASK = "***"
_values: set[str] = set()


def register(value: str) -> str:
    """Remember a secret value (returned unchanged, for chaining)."""
    if value:
        _values.add(value)
    return value


def known() -> frozenset[str]:
    return frozenset(_values)


def mask(text: str) -> str:
    """`text` with every registered value replaced by ***, longest first."""
    if not _values or not text:
        return text
    for value in sorted(_values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def mask_data(data: Any) -> Any:
    """A copy of JSON-like data with every string masked (keys included)."""
    if not _values:
        return data
    if isinstance(data, str):
        return mask(data)
    if isinstance(data, dict):
        return {mask(k) if isinstance(k, str) else k: mask_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [mask_data(v) for v in data]
    return data


def forget_all() -> None:
    """Tests only."""
    _values.clear()


def mask_file(path) -> bool:
    """Rewrite a file (a task's log) with every registered value replaced by ***, streamed
    in chunks; the file is replaced atomically and keeps its mode. Returns whether
    anything was masked. A no-op (no read) while no value is registered."""
    values = sorted((v.encode("utf-8", "surrogateescape") for v in _values), key=len, reverse=True)
    if not values:
        return False
    try:
        return _mask_file(path, values)
    except OSError:  # no log (it could not be written), or a full disk: nothing to keep secret
        try:
            os.unlink(f"{path}.masking")
        except OSError:
            pass
        return False


def _mask_file(path, values: list[bytes]) -> bool:
    longest = len(values[0])
    changed = False
    tmp = f"{path}.masking"
    with open(path, "rb") as src:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.stat(src.fileno()).st_mode & 0o777)
        with os.fdopen(fd, "wb") as dst:
            pending = b""
            while True:
                chunk = src.read(1 << 20)
                data = pending + chunk
                cut = len(data) if not chunk else _safe_cut(data, values, longest)
                part = data[:cut]
                for value in values:
                    if value in part:
                        part = part.replace(value, MASK.encode())
                        changed = True
                dst.write(part)
                pending = data[cut:]
                if not chunk:
                    break
    if changed:
        os.replace(tmp, path)
    else:
        os.unlink(tmp)
    return changed


def _safe_cut(data: bytes, values: list[bytes], longest: int) -> int:
    """Where `data` may be cut without splitting a value: the last longest-1 bytes may
    begin one, and a value crossing the cut moves it to the value's start."""
    cut = max(0, len(data) - (longest - 1))
    moved = True
    while moved and cut > 0:
        moved = False
        for value in values:
            start = data.find(value, max(0, cut - len(value) + 1), cut + len(value) - 1)
            if 0 <= start < cut < start + len(value):
                cut, moved = start, True
    return cut
