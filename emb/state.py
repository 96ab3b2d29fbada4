"""emb's state folder, `.emb/` in the monorepo: where everything emb writes lives.

    .emb/
      cache/                    caches of the configuration layer (validated, parsed.marshal)
      <flavor or "default">/
        cache/                  caches of one flavor (compose-services.json)
        logs/tasks/             one log file per task run (emb.process.logs)

The folder lives next to .emb.yml (never under `project.rootDir`, which may
point anywhere). Its folders are created 0700 and files 0600 (logs can hold
secrets a task printed, or an interactive session's echoed keystrokes), and
a state folder that is a symbolic link is refused (`safe_dir`): a repository
could otherwise commit `.emb -> /somewhere` and make emb write, or prune
logs, outside it.

Every write goes through `atomic_write` (a temp file, then a rename), so a
reader never sees half a file, and a failure to write a cache just means no
cache. Keyed records (`read_record` / `write_record`) hold JSON data together
with the key it was computed for: a record whose key differs is ignored.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

try:  # built into CPython; hashlib would also load OpenSSL (~4 ms of start-up on every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import blake2b

from emb.errors import CannotStart

__all__ = ["STATE_FOLDER", "StateFolderError", "atomic_write", "blake2b", "cache_dir", "flavor_dir",
           "read_record", "refuse_links", "safe_dir", "write_record"]

STATE_FOLDER = ".emb"
DIR_MODE = 0o700
FILE_MODE = 0o600


class StateFolderError(CannotStart):
    """A state folder is a symbolic link (or not a folder): emb will not write through it."""


def flavor_dir(base: Path, flavor: str | None) -> Path:
    """`.emb/<flavor or "default">/` below `base` (the folder of .emb.yml): logs and caches of one flavor."""
    return Path(base) / STATE_FOLDER / (flavor or "default")


def cache_dir(base: Path) -> Path:
    """`.emb/cache/` below `base` (the folder of .emb.yml): the configuration caches."""
    return Path(base) / STATE_FOLDER / "cache"


def _levels(folder: Path) -> list[Path]:
    """`folder`, its parents from the `.emb` level down (top first)."""
    parts = Path(folder).parts
    try:
        top = len(parts) - 1 - parts[::-1].index(STATE_FOLDER)
    except ValueError:
        raise ValueError(f"{folder} is not inside a {STATE_FOLDER} folder") from None
    return [Path(*parts[:i + 1]) for i in range(top, len(parts))]


def _refuse(current: Path, info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder"
        raise StateFolderError(
            f"emb's state folder {current} is {what}: refusing to write through it",
            [f"remove it (emb recreates it): rm {current}",
             "emb keeps its logs and caches in .emb/ next to .emb.yml; it must be a real folder"])


def refuse_links(folder: Path) -> None:
    """Raise StateFolderError if a level of `folder` that exists is a symlink or a file
    (levels that do not exist yet are fine: nothing is created here)."""
    for current in _levels(folder):
        try:
            info = os.lstat(current)
        except OSError:
            return
        _refuse(current, info)


def safe_dir(folder: Path) -> Path:
    """Create `folder` (a path inside a `.emb/` folder) level by level, 0700,
    refusing any level from `.emb` down that is a symbolic link or not a folder.
    Raises StateFolderError (exit 125) with the offending path."""
    folder = Path(folder)
    for current in _levels(folder):
        try:
            os.mkdir(current, DIR_MODE)
        except FileExistsError:
            pass
        except OSError as err:
            raise StateFolderError(f"cannot create emb's state folder {current}: {err.strerror}") from None
        try:
            info = os.lstat(current)
        except OSError as err:
            raise StateFolderError(f"cannot use emb's state folder {current}: {err.strerror}") from None
        _refuse(current, info)
    return folder


def atomic_write(file: Path, payload: bytes) -> bool:
    """Write via a temp file + os.replace so readers never see half a file.
    Returns False (and writes nothing) when the folder cannot be written."""
    import tempfile

    try:
        safe_dir(file.parent)
    except StateFolderError:
        return False
    try:
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix="." + file.name + "-")  # mode 0600
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
