"""What every way of running a child shares: its environment, how a failure to
start it is worded, how its exit status reads, and writing to emb's own fds."""

from __future__ import annotations

import os
import select
import signal

from emb import launch
from emb.errors import CannotStart
from emb.process.command import Command

# Signals emb forwards to (or turns into the end of) the child it runs.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
BUFFER_SIZE = 1 << 20
STDERR_TAIL = 8192  # bytes of the child's stderr kept for the caller to explain a failure


def child_environment(cmd: Command) -> dict[str, str]:
    env = launch.tool_environ() if cmd.tool_env else dict(os.environ)
    env.update(cmd.env)
    return env


def spawn_error(cmd: Command, err: OSError) -> CannotStart:
    if cmd.cwd is not None and not os.path.isdir(cmd.cwd):
        return CannotStart(f"cannot run in {cmd.cwd}: no such folder")
    if isinstance(err, FileNotFoundError):
        return CannotStart(f"cannot run {cmd.argv[0]}: command not found", ["is it installed and on PATH?"])
    return CannotStart(f"cannot run {cmd.argv[0]}: {err.strerror or err}")


def exit_code_of(returncode: int) -> int:
    """A Popen returncode as a shell reports it: 128+N for a child killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            # The output fd was left non-blocking by whoever started emb: wait for room.
            select.select([], [fd], [])
            continue
        view = view[written:]


def keep_tail(tail: bytearray, data) -> None:
    """Append to a bounded tail buffer (the last STDERR_TAIL bytes, give or take)."""
    tail += data
    if len(tail) > 2 * STDERR_TAIL:
        del tail[:-STDERR_TAIL]


def which(name: str) -> str | None:
    """The executable `name` would run as (a path, or looked up on PATH), or None.

    shutil.which without importing shutil, which pulls in lzma and friends
    (~6 ms): emb asks this on every container and kubernetes run.
    """
    def runnable(path: str) -> bool:
        return os.path.isfile(path) and os.access(path, os.X_OK)

    if os.sep in name:
        return name if runnable(name) else None
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if runnable(candidate):
            return candidate
    return None
