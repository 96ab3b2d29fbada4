"""A small cache of "these exact inputs passed schema validation".

Validation is a pure function of the configuration files' bytes, the flavor,
the discovered folders and the schema bytes, so a hash of those is enough to
skip it (and the ~180 ms jsonschema import) on every later run. The cache
lives in `.emb/cache/` next to .emb.yml; if it is missing, corrupt or
unwritable we simply validate.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

FILE_NAME = "validated"
KEEP = 64  # recent keys kept: enough for a few flavors and branches


class Fingerprint:
    """Accumulates everything validation depends on into one sha256."""

    def __init__(self, *parts: bytes | str):
        self._h = hashlib.sha256(b"emb-validation-cache-1\0")
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
    """Add keys (atomically: temp file + os.replace); any failure just means no cache."""
    try:
        keys = [k for k in read_keys(cache_dir) if k not in new_keys]
        keys = (keys + list(new_keys))[-KEEP:]
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".validated-")
        try:
            with os.fdopen(fd, "w") as out:
                out.write("\n".join(keys) + "\n")
            os.replace(tmp, cache_dir / FILE_NAME)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
