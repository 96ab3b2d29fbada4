"""The configuration layer's two caches, in `.emb/cache/` next to .emb.yml (emb.state).

- ValidationCache: "these exact inputs passed schema validation". Validation
  is a pure function of the configuration files' bytes, the flavor, the
  discovered folders and the schema bytes, so a hash of those is enough to
  skip it (and importing the validators) on every later run.
- ParseCache: parsed files by content (marshal), so PyYAML and python-dotenv
  are imported only when a file changed.

If a cache is missing, corrupt or unwritable, emb simply does the work.

Both live in the work tree, where a repository could commit its own: they
are authenticated with the user's secret key (emb.state.user_key, kept
outside every repository). A validation key is a keyed hash, so it cannot
be forged; the parsed file carries a MAC of its bytes, checked before
marshal reads a byte of it. Without a key (a read-only home), nothing is
cached.
"""

from __future__ import annotations

import marshal
import sys
from pathlib import Path
from typing import Any, Callable

from emb.config.yamlio import parse
from emb.state import atomic_write, blake2b, read_signed, user_key, write_signed

FILE_NAME = "validated"
KEEP = 64  # recent keys kept: enough for a few flavors and branches


class Fingerprint:
    """Accumulates everything validation depends on into one hash."""

    def __init__(self, *parts: bytes | str):
        # Keyed with the user's secret: a key list committed to the repository matches nothing.
        self._h = blake2b(b"emb-validation-cache-2\0", key=user_key() or b"", digest_size=32)
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
        if user_key() is None:
            return False  # no secret to tell emb's own keys from planted ones
        if self._known is None:
            self._known = set(read_keys(self.folder))
        return key in self._known or key in self._new

    def add(self, key: str) -> None:
        if not self.has(key):
            self._new.append(key)

    def save(self) -> None:
        if self._new and user_key() is not None:
            remember(self.folder, self._new)


class ParseCache:
    """Parsed files (YAML, or another parser's plain-data result) by file content,
    kept in `.emb/cache/parsed.marshal`.

    PyYAML's constructor is pure Python (~0.5 ms per small file even with the
    C parser); marshal reads the same data back ~20x faster. Entries are keyed
    by a hash of the file's bytes, so an edited file is simply parsed again.
    Call save() before anything mutates the returned data.
    """

    VERSION = "emb-parsed-2 " + sys.version
    PURPOSE = b"emb-parsed"

    def __init__(self, file: Path | None):
        self.file = file
        self._old: dict | None = None
        self._new: dict[str, tuple[bytes, Any]] = {}
        self._changed = False

    def _entries(self) -> dict:
        if self._old is None:
            self._old = {}
            if self.file is not None:
                payload = read_signed(self.file, self.PURPOSE)
                if payload is None:
                    return self._old  # missing, or not written by this user's emb: never unmarshalled
                try:
                    stored = marshal.loads(payload)
                    if isinstance(stored, dict) and stored.get("version") == self.VERSION:
                        self._old = stored["files"]
                except (OSError, ValueError, EOFError, TypeError, KeyError):
                    pass  # missing or corrupt: parse everything
        return self._old

    def parse(self, file: Path, raw: bytes, parser: "Callable[[Path, bytes], Any] | None" = None) -> Any:
        """`parser(file, raw)` (YAML by default), or its cached result for these bytes."""
        key = str(file) if parser is None else f"{parser.__module__}.{parser.__qualname__}:{file}"
        digest = blake2b(raw, digest_size=20).digest()
        hit = self._entries().get(key)
        if hit is not None and hit[0] == digest:
            data = hit[1]
        else:
            data = (parser or parse)(file, raw)
            self._changed = True
        self._new[key] = (digest, data)
        return data

    def save(self) -> None:
        """Write the entries used by this load (dropping stale ones); failures are ignored."""
        if self.file is None or not (self._changed or set(self._new) != set(self._entries())):
            return
        try:
            payload = marshal.dumps({"version": self.VERSION, "files": self._new})
        except ValueError:  # a value marshal cannot store (a YAML timestamp...): no cache
            return
        write_signed(self.file, payload, self.PURPOSE)
