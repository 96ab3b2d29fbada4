"""Running programs: the only place emb starts a process.

- `run(cmd, log_path=...)`: a task's Command, streamed live and into its log
  file. Piped mode (the default) is `piped.py`; TTY mode (`cmd.tty` on a
  terminal, pexpect) is `tty.py`; log files and their stable links are `logs.py`.
- `passthrough(argv)`: a tool whose output is for the user (`kubectl logs -f`,
  `docker compose up`), not logged; its stderr tail comes back for errors.
- `capture(argv, timeout=...)`: a lookup (`kubectl get`, `docker compose
  config`): output captured, bounded in time, a missing program a result.
- `Streamed(cmd, log_path)`: a run whose output emb reads line by line
  (builds, several at once from threads): `streamed.py`.
- `which(name)`: shutil.which without shutil's import cost.

The values (Command, RunResult, Captured) are in `command.py`, a leaf.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from pathlib import Path

from emb.errors import EXIT_INTERRUPTED
from emb.process.child import which
from emb.process.command import Captured, Command, RunResult
from emb.process.piped import run_piped
from emb.process.streamed import Streamed
from emb.process.tty import run_tty

__all__ = ["Captured", "Command", "RunResult", "Streamed", "capture", "passthrough", "run", "which"]

LOOKUP_TIMEOUT = 120.0  # seconds a lookup may take before emb gives up on it


def run(cmd: Command, *, log_path: Path, quiet: bool = False) -> RunResult:
    """Run `cmd`, streaming its output to the terminal (unless `quiet`) and to `log_path`.

    `quiet` keeps the child's output out of the terminal (it still goes to
    the log). Raises CannotStart when the program or the folder does not exist.
    """
    if cmd.tty and os.isatty(0):
        return run_tty(cmd, log_path=log_path, quiet=quiet)
    return run_piped(cmd, log_path=log_path, quiet=quiet)


def capture(argv, *, timeout: float = LOOKUP_TIMEOUT, cwd: Path | None = None,
            env: dict[str, str] | None = None, input: bytes | None = None) -> Captured:
    """Run a lookup with stdin closed (or fed `input`, e.g. a password for
    `--password-stdin`) and its output captured. Never raises for the tool's
    exit code, a missing program, or a timeout: they are results."""
    argv = tuple(argv)
    stdin = {} if input is not None else {"stdin": subprocess.DEVNULL}
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, input=input, **stdin,
                              capture_output=True, timeout=timeout)
    except OSError as exc:  # not found, not executable: the caller words it
        return Captured(argv, -1, start_errno=exc.errno)
    except subprocess.TimeoutExpired as exc:
        return Captured(argv, -1, exc.stdout or b"", exc.stderr or b"", timed_out=True)
    return Captured(argv, done.returncode, done.stdout, done.stderr)


def passthrough(argv: list[str], *, cwd: Path | None = None, stdin=None,
                env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run a tool whose output is meant for the user (`logs -f`, `up`, `rollout
    restart`): stdout inherited, stderr copied through line by line while its
    last lines are kept, so the caller can turn a failure it recognises into
    emb's one-line error. Not logged: these are not task runs.

    Returns (exit code, stderr tail); EXIT_INTERRUPTED after Ctrl+C (the tool,
    in emb's process group, got the SIGINT too; it is ended and reaped).
    OSError from starting the tool propagates for the caller to explain.
    """
    proc = subprocess.Popen(argv, cwd=cwd, stdin=stdin, env=env, stderr=subprocess.PIPE)
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
