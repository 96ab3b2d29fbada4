"""Values emb must never show: resolved secrets (SPEC §7), masked as `***`.

A leaf module. Whoever learns a secret value registers it (the secret
sources, when they read one); everything that prints or stores emb's own
text passes it through `mask` / `mask_data` (emb.output, --dry-run, --json,
errors). The task itself still receives the real value, in its environment.
"""

from __future__ import annotations

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
