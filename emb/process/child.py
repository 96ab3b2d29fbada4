"""What every way of running a child shares: its environment, how a failure to
start it is worded, how its exit status reads, and writing to emb's own fds."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading

from emb import launch
from emb.errors import CannotStart
from emb.process.command import Command

# Signals emb forwards to (or turns into the end of) the child it runs.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
BUFFER_SIZE = 1 << 20
STDERR_TAIL = 8192  # bytes of the child's stderr kept for the caller to explain a failure


def child_environment(cmd: Command) -> dict[str, str]:
    """The task's environment: emb's (with the repository's env: and .env), plus the
    Command's own. A tool command (`cmd.tool`: docker, compose, kubectl) gets the
    tool variables (PATH, DOCKER_*, KUBECONFIG...) emb was started with instead."""
    if cmd.tool:
        return launch.tool_environ(cmd.env)
    env = dict(os.environ)
    env.update(cmd.env)
    return env


def spawn_error(cmd: Command, err: OSError | ValueError) -> CannotStart:
    if isinstance(err, ValueError):  # subprocess refuses "embedded null byte"
        return CannotStart(f"cannot run {cmd.argv[0]!r}: an argument or environment value holds a NUL character",
                           ["remove the NUL (\\0) from the task's script, arguments or variables"])
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
    # The PATH emb was started with: a repository's env: block or .env never picks emb's tools.
    for folder in launch.launch_environ().get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if runnable(candidate):
            return candidate
    return None


GRACE_FORWARDED = 5.0  # seconds a tool has to end after a forwarded SIGTERM/SIGHUP before SIGKILL


class SignalForwarder:
    """SIGTERM/SIGHUP sent to emb while a tool runs (a lookup, `logs -f`, `up`):
    passed on to the tool, which then has GRACE_FORWARDED seconds to end
    before SIGKILL, so no tool is left running under init. The caller waits
    for the tool as usual and then reports `signum` (exit 128+signum)."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __init__(self):
        self.proc = None
        self.signum: int | None = None
        self._timer: threading.Timer | None = None

    def _on_signal(self, signum, frame):
        first = self.signum is None
        if first:
            self.signum = signum
        if self.proc is not None:
            self._send(signum if first else signal.SIGKILL)

    def _send(self, signum: int) -> None:
        with contextlib.suppress(OSError):
            self.proc.send_signal(signum)
        if signum != signal.SIGKILL and self._timer is None:
            self._timer = threading.Timer(GRACE_FORWARDED, self._send, (signal.SIGKILL,))
            self._timer.daemon = True
            self._timer.start()

    def attach(self, proc) -> None:
        self.proc = proc
        if self.signum is not None:
            self._send(self.signum)

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        saved = {sig: signal.signal(sig, self._on_signal) for sig in self.SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
            if self._timer is not None:
                self._timer.cancel()
