"""emb's state folder, `.emb/` in the monorepo: where everything emb writes lives.

    .emb/
      cache/                    caches of the configuration layer (validated, parsed.marshal)
      <flavor or "default">/
        cache/                  caches of one flavor (compose-services.json, context-hashes)
        logs/tasks/             one log file per task run (emb.process.logs)
        logs/docker/build/      one log per image build, <reference>.log (emb.resources.image)
        logs/resources/         file / op/file builds
        resources/<component>/<name>.json   freshness records (emb.resources.state)

Every write goes through `atomic_write` (a temp file, then a rename), so a
reader never sees half a file, and a failure to write a cache just means no
cache. Keyed records (`read_record` / `write_record`) hold JSON data together
with the key it was computed for: a record whose key differs is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

try:  # built into CPython; hashlib would also load OpenSSL (~4 ms of start-up on every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import blake2b

__all__ = ["STATE_FOLDER", "atomic_write", "blake2b", "cache_dir", "flavor_dir", "read_record",
           "write_record"]

STATE_FOLDER = ".emb"


def flavor_dir(root: Path, flavor: str | None) -> Path:
    """`.emb/<flavor or "default">/`: logs and caches of one flavor."""
    return Path(root) / STATE_FOLDER / (flavor or "default")


def cache_dir(base: Path) -> Path:
    """`.emb/cache/` below `base` (the folder of .emb.yml): the configuration caches."""
    return Path(base) / STATE_FOLDER / "cache"


def atomic_write(file: Path, payload: bytes) -> bool:
    """Write via a temp file + os.replace so readers never see half a file.
    Returns False (and writes nothing) when the folder cannot be written."""
    import tempfile

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix="." + file.name + "-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def read_record(file: Path, key: str) -> Any:
    """The value stored in `file` for `key`, or None (missing, corrupt, other key)."""
    try:
        with open(file, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("key") == key:
        return data.get("value")
    return None


def write_record(file: Path, key: str, value: Any) -> bool:
    return atomic_write(file, json.dumps({"key": key, "value": value}).encode())
