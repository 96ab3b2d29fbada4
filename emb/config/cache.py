"""A small cache of "these exact inputs passed schema validation".

Validation is a pure function of the configuration files' bytes, the flavor,
the discovered folders and the schema bytes, so a hash of those is enough to
skip it (and importing the validators) on every later run. The cache
lives in `.emb/cache/` next to .emb.yml; if it is missing, corrupt or
unwritable we simply validate.
"""

from __future__ import annotations

from pathlib import Path

try:  # built into CPython; hashlib would also load OpenSSL (~4 ms of start-up on every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import blake2b

FILE_NAME = "validated"
KEEP = 64  # recent keys kept: enough for a few flavors and branches


class Fingerprint:
    """Accumulates everything validation depends on into one hash."""

    def __init__(self, *parts: bytes | str):
        self._h = blake2b(b"emb-validation-cache-1\0", digest_size=32)
        for part in parts:
            self.add(part)

    def add(self, part: bytes | str) -> None:
        data = part.encode() if isinstance(part, str) else part
        self._h.update(len(data).to_bytes(8, "little"))
        self._h.update(data)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def read_keys(cache_dir: Path) -> list[str]:
    try:
        return (cache_dir / FILE_NAME).read_text().split()
    except (OSError, UnicodeDecodeError):
        return []


def remember(cache_dir: Path, new_keys: list[str]) -> None:
    """Add keys (atomically); any failure just means no cache."""
    from emb.config.yamlio import atomic_write

    keys = [k for k in read_keys(cache_dir) if k not in new_keys]
    keys = (keys + list(new_keys))[-KEEP:]
    atomic_write(cache_dir / FILE_NAME, ("\n".join(keys) + "\n").encode())


class ValidationCache:
    """Keys of inputs that passed validation, read once and written once per load."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._new: list[str] = []
        self._known: set[str] | None = None

    def has(self, key: str) -> bool:
        if self._known is None:
            self._known = set(read_keys(self.folder))
        return key in self._known or key in self._new

    def add(self, key: str) -> None:
        if not self.has(key):
            self._new.append(key)

    def save(self) -> None:
        if self._new:
            remember(self.folder, self._new)
