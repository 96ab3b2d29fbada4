"""Run a `Command`: stream its output live and into the run's log file.

- `run(cmd, log_path=...)`: the one runner every executor's Command goes
  through. Piped mode (the default) is `piped.py`; TTY mode (`cmd.tty` on a
  terminal, pexpect) is `tty.py`; log files and their stable links are `logs.py`.
- `passthrough(argv)`: a tool whose output is for the user (`kubectl logs -f`,
  `docker compose up`), not logged; its stderr tail comes back for errors.
- `which(name)`: shutil.which without shutil's import cost.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from emb.errors import EXIT_INTERRUPTED, CannotStart
from emb.executors import Command
from emb.process.logs import log_path_for, sanitize_task_id  # noqa: F401  (public API)


class RunResult(NamedTuple):
    exit_code: int  # the child's code; 128+N when it (or emb) died of signal N
    duration: float  # seconds
    log_path: Path
    stderr_tail: bytes = b""  # last bytes of the child's stderr (of the terminal output under a TTY)
    interrupted: bool = False  # emb received SIGINT/SIGTERM/SIGHUP and stopped the child


def run(cmd: Command, *, log_path: Path, quiet: bool = False) -> RunResult:
    """Run `cmd`, streaming its output to the terminal (unless `quiet`) and to `log_path`.

    `quiet` keeps the child's output out of the terminal (it still goes to
    the log). Raises CannotStart when the program or the folder does not exist.
    """
    if cmd.tty and os.isatty(0):
        from emb.process.tty import run_tty

        return run_tty(cmd, log_path=log_path, quiet=quiet)
    from emb.process.piped import run_piped

    return run_piped(cmd, log_path=log_path, quiet=quiet)


def child_environment(cmd: Command) -> dict[str, str]:
    env = dict(os.environ)
    env.update(cmd.env)
    return env


def spawn_error(cmd: Command, err: OSError) -> CannotStart:
    if cmd.cwd is not None and not os.path.isdir(cmd.cwd):
        return CannotStart(f"cannot run in {cmd.cwd}: no such folder")
    if isinstance(err, FileNotFoundError):
        return CannotStart(f"cannot run {cmd.argv[0]}: command not found", ["is it installed and on PATH?"])
    return CannotStart(f"cannot run {cmd.argv[0]}: {err.strerror or err}")


def exit_code_of(returncode: int) -> int:
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


def passthrough(argv: list[str], *, cwd: Path | None = None, stdin=None) -> tuple[int, bytes]:
    """Run a tool whose output is meant for the user (`logs -f`, `up`, `rollout
    restart`): stdout inherited, stderr copied through line by line while its
    last lines are kept, so the caller can turn a failure it recognises into
    emb's one-line error. Not logged: these are not task runs.

    Returns (exit code, stderr tail); EXIT_INTERRUPTED after Ctrl+C (the tool,
    in emb's process group, got the SIGINT too; it is ended and reaped).
    OSError from starting the tool propagates for the caller to explain.
    """
    from collections import deque

    proc = subprocess.Popen(argv, cwd=cwd, stdin=stdin, stderr=subprocess.PIPE)
    tail: deque[bytes] = deque(maxlen=20)
    try:
        for line in proc.stderr:
            sys.stderr.buffer.write(line)
            sys.stderr.flush()
            tail.append(line)
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        code = EXIT_INTERRUPTED
    finally:
        proc.stderr.close()
    return code, b"".join(tail)
