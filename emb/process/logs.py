"""Log files: one per run under `.emb/<flavor|default>/logs/tasks/<task>/`,
`<task>.log` a symlink to the latest, old runs pruned (never a running one)."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

from emb import state
from emb.errors import CannotStart

KEEP_RUNS = 10  # finished runs' logs kept per task (pruned when a run starts)...
KEEP_BYTES = 64 << 20  # ...as long as they add up to at most this


def log_path_for(monorepo, task_id: str) -> Path:
    """A new, unique log file for one run of `task_id`; the stable link now points to it.

    Layout under `<state_dir>/logs/tasks/`:
        api__migrate/20260509T073512.123456Z-4242.log   one file per run (created here)
        api__migrate.log -> api__migrate/<latest run>    replaced atomically per run
    """
    logs = state.flavor_dir(monorepo.root, monorepo.flavor) / "logs" / "tasks"
    name = sanitize_task_id(task_id)
    runs = logs / name
    try:
        runs.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CannotStart(f"cannot create the log folder {runs}: {err.strerror}") from None
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"
    path = _create_unique(runs, f"{stamp}-{os.getpid()}")
    _point_link(logs / f"{name}.log", os.path.join(name, path.name))
    _prune(runs, current=path.name)
    return path


def sanitize_task_id(task_id: str) -> str:
    """`api:migrate` -> `api__migrate`; anything else unsafe in a file name -> `_`."""
    out = task_id.replace(":", "__")
    out = "".join(c if c.isalnum() or c in "._-" else "_" for c in out)
    return "_" + out if out.startswith(".") or not out else out


def _create_unique(folder: Path, stem: str) -> Path:
    for attempt in range(1000):
        path = folder / (f"{stem}.log" if attempt == 0 else f"{stem}-{attempt}.log")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return path
        except FileExistsError:
            continue
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
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
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
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
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
