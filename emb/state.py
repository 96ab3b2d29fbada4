"""emb's state folder, `.emb/` in the monorepo: where everything emb writes lives.

    .emb/
      cache/                    caches of the configuration layer (validated, parsed.marshal)
      <flavor or "default">/
        cache/                  caches of one flavor (compose-services.json, context-hashes)
        logs/tasks/             one log file per task run (emb.process.logs)
        logs/docker/build/      one log per image build, <reference>.log (emb.resources.image)
        logs/resources/         file / op/file builds
        resources/<component>/<name>.json   freshness records (emb.resources.state)

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

from emb import launch
from emb.errors import CannotStart

__all__ = ["STATE_FOLDER", "StateFolderError", "atomic_write", "blake2b", "cache_dir", "flavor_dir",
           "read_record", "read_signed", "refuse_links", "safe_dir", "sign", "user_key", "write_record",
           "write_signed"]

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
    """Raise StateFolderError if a level of `folder` that exists is a symlink (levels
    that do not exist yet are fine, a file in the way just means no cache: nothing
    is created here)."""
    for current in _levels(folder):
        try:
            info = os.lstat(current)
        except OSError:
            return
        if stat.S_ISLNK(info.st_mode):
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
    """The value stored in `file` for `key`, or None (missing, corrupt, other key, not
    written by this user's emb: records are signed, see `write_signed`)."""
    payload = read_signed(file, b"emb-record")
    if payload is None:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("key") == key:
        return data.get("value")
    return None


def write_record(file: Path, key: str, value: Any) -> bool:
    return write_signed(file, json.dumps({"key": key, "value": value}).encode(), b"emb-record")


# --------------------------------------------------------------- the per-user cache key

_KEY_SIZE = 32
_user_key: bytes | None | bool = False  # False: not read yet


def user_key_file() -> Path:
    """`$XDG_STATE_HOME/emb/key` (default `~/.local/state/emb/key`), from the environment
    emb was started in: a repository's .env cannot point emb at a key of its own."""
    environ = launch.launch_environ()
    base = environ.get("XDG_STATE_HOME") or os.path.join(launch.home(), ".local", "state")
    return Path(base) / "emb" / "key"


def user_key() -> bytes | None:
    """The secret that authenticates emb's caches (created 0600 on first use), or None
    when it cannot be read or created (then no cache is trusted, or written).

    The caches live in the work tree, where a repository could ship its own:
    an entry emb did not write itself (keyed with this user's secret) is ignored."""
    global _user_key
    if _user_key is False:
        _user_key = _read_or_create_key(user_key_file())
    return _user_key


def _read_or_create_key(file: Path) -> bytes | None:
    for _ in range(2):
        try:
            fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            try:
                file.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
                fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
            except FileExistsError:
                continue  # another emb created it meanwhile: read that one
            except OSError:
                return None
            key = os.urandom(_KEY_SIZE)
            try:
                os.write(fd, key)
            except OSError:
                os.close(fd)
                return None
            os.close(fd)
            return key
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if info.st_uid != os.getuid() or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
                return None  # someone else's, or readable by others: not a secret
            key = os.read(fd, _KEY_SIZE + 1)
        except OSError:
            return None
        finally:
            os.close(fd)
        return key if len(key) == _KEY_SIZE else None
    return None


def sign(payload: bytes, purpose: bytes) -> bytes | None:
    """A MAC of `payload` under the user's key (None: no key, so nothing is trusted)."""
    key = user_key()
    if key is None:
        return None
    return blake2b(payload, key=key, person=purpose[:16], digest_size=32).digest()


def reset_user_key() -> None:
    """Tests only."""
    global _user_key
    _user_key = False


def write_signed(file: Path, payload: bytes, purpose: bytes) -> bool:
    """atomic_write of `payload` with its MAC in front; False (nothing written) without a key.
    For any cache whose bytes emb would otherwise trust (marshal, pickled digests...)."""
    mac = sign(payload, purpose)
    return mac is not None and atomic_write(file, mac + payload)


def read_signed(file: Path, purpose: bytes) -> bytes | None:
    """The payload of a file `write_signed` wrote for `purpose` under this user's key, or None
    (missing, damaged, planted by a repository, or no key)."""
    from _operator import _compare_digest  # hmac.compare_digest without importing hmac

    try:
        blob = Path(file).read_bytes()
    except OSError:
        return None
    mac, payload = blob[:32], blob[32:]
    expected = sign(payload, purpose)
    if expected is None or not _compare_digest(mac, expected):
        return None
    return payload
