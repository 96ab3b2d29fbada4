"""Log files: one per run under `.emb/<flavor|default>/logs/tasks/<task>/`,
`<task>.log` a symlink to the latest, old runs pruned (never a running one)."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import threading
import time
from pathlib import Path

from emb import state
from emb.errors import CannotStart
from emb.process.child import write_all

KEEP_RUNS = 10  # finished runs' logs kept per task (pruned when a run starts)...
KEEP_BYTES = 64 << 20  # ...as long as they add up to at most this
# The names log_path_for gives runs: 20260509T073512.123456Z-4242.log, or -4242-1.log on a clash.
_RUN_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-\d+(-\d+)?\.log")


def log_path_for(monorepo, task_id: str) -> Path:
    """A new, unique log file for one run of `task_id`; the stable link now points to it.

    Layout under `<state_dir>/logs/tasks/`:
        api__migrate/20260509T073512.123456Z-4242.log   one file per run (created here)
        api__migrate.log -> api__migrate/<latest run>    replaced atomically per run
    """
    logs = state.flavor_dir(monorepo.config_file.parent, monorepo.flavor) / "logs" / "tasks"
    name = sanitize_task_id(task_id)
    runs = logs / name
    state.safe_dir(runs)  # 0700, and never through a symlink a repository may have committed
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"
    path = _create_unique(runs, f"{stamp}-{os.getpid()}")
    _point_link(logs / f"{name}.log", os.path.join(name, path.name))
    _prune(runs, current=path.name)
    return path


def sanitize_task_id(task_id: str) -> str:
    """`api:migrate` -> `api__migrate`, one file name per task id (never two ids for one name).

    `:` becomes `__`; an `_` stays itself unless it touches another `_` or a
    `:` (then it is `%5F`, so a project task `api__migrate` gets its own
    folder, `api%5F%5Fmigrate`); anything else outside [A-Za-z0-9.-] is
    `%XX` (UTF-8 bytes), and a leading `.` too (no hidden or `..` names).
    """
    out = []
    for i, c in enumerate(task_id):
        if c == ":":
            out.append("__")
        elif c == "_":
            near = task_id[i - 1:i] + task_id[i + 1:i + 2]
            out.append("%5F" if "_" in near or ":" in near else "_")
        elif (c.isascii() and c.isalnum()) or c == "-" or (c == "." and i > 0):
            out.append(c)
        else:
            out.append("".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass")))
    return "".join(out) or "%00"


def _create_unique(folder: Path, stem: str) -> Path:
    for attempt in range(1000):
        path = folder / (f"{stem}.log" if attempt == 0 else f"{stem}-{attempt}.log")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, state.FILE_MODE))
            return path
        except FileExistsError:
            continue
        except OSError as err:  # a full disk (no inode left), a read-only or foreign folder
            raise CannotStart(f"cannot create a log file in {folder}: {err.strerror}") from None
    raise CannotStart(f"cannot create a log file in {folder}")


def _point_link(link: Path, target: str) -> None:
    """Make `link` a symlink to `target` atomically: readers see the old or the new run."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(target, tmp)
        os.replace(tmp, link)
    except OSError:
        pass  # a filesystem without symlinks: the per-run file is still there


def _prune(folder: Path, current: str) -> None:
    """Remove old runs: keep the newest KEEP_RUNS others within KEEP_BYTES.

    The size budget matters for tasks with huge output: a few 200 MB logs
    left around fill the page cache with dirty pages and the kernel then
    throttles every writer, emb included. A log still being written (its run
    holds a lock on it) is never removed, so concurrent runs lose nothing.
    """
    try:
        names = sorted((n for n in os.listdir(folder) if n.endswith(".log") and n != current), reverse=True)
    except OSError:
        return
    kept = total = 0
    for name in names:
        path = folder / name
        try:
            size = os.stat(path).st_size
        except OSError:
            continue
        if kept < KEEP_RUNS and total + size <= KEEP_BYTES:
            kept += 1
            total += size
            continue
        _remove_unless_running(path)


def _remove_unless_running(path: Path) -> None:
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(path)
    except OSError:
        pass  # locked: its run is still going
    finally:
        os.close(fd)


def open_log(log_path: Path) -> int:
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, state.FILE_MODE)
    except OSError as err:
        raise CannotStart(f"cannot write the log file {log_path}: {err.strerror}") from None
    # Append by position, not O_APPEND: splice(2) refuses files opened in append
    # mode, and a run's log has a single writer (this process).
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # not /dev/null, which some callers pass
            import fcntl

            os.lseek(fd, 0, os.SEEK_END)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "running": pruning leaves it alone
    except (ImportError, OSError):
        pass
    return fd


class LogSink:
    """A run's log file. Live output never depends on it: when a write fails
    (a full disk, a file size limit), emb warns once that the log is
    incomplete, stops writing it, and the run goes on with its exit code."""

    def __init__(self, fd: int, path: Path):
        self.fd = fd
        self.path = path
        self.error: OSError | None = None
        self._lock = threading.Lock()

    def write(self, data) -> None:
        if self.error is not None:
            return
        try:
            write_all(self.fd, data)
        except OSError as err:
            self.failed(err)

    def failed(self, err: OSError) -> None:
        with self._lock:
            if self.error is not None:
                return
            self.error = err
        warning = (f"emb: warning: the log {self.path} is incomplete from here on: "
                   f"{err.strerror or err}; the output goes on\n")
        with contextlib.suppress(OSError):
            write_all(2, warning.encode("utf-8", "replace"))
