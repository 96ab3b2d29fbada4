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

import errno
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

from emb import launch
from emb.errors import EXIT_INTERRUPTED, EmbError
from emb.process.child import SignalForwarder, which
from emb.process.command import Captured, Command, RunResult
from emb.process.piped import run_piped
from emb.process.streamed import Streamed
from emb.process.tty import run_tty

__all__ = ["Captured", "Command", "RunResult", "STOPPED_CODES", "Stopped", "Streamed", "capture", "passthrough", "run", "which"]


class Stopped(EmbError):
    """emb got SIGTERM/SIGHUP during a lookup: the tool was ended too; exit 128+N."""

    def __init__(self, signum: int):
        import signal

        super().__init__(f"stopped by {signal.Signals(signum).name}", exit_code=128 + signum)

LOOKUP_TIMEOUT = 120.0  # seconds a lookup may take before emb gives up on it
# What passthrough returns when emb was interrupted (Ctrl+C, SIGTERM, SIGHUP): not the tool's failure.
STOPPED_CODES = frozenset({EXIT_INTERRUPTED, 128 + 15, 128 + 1})


def run(cmd: Command, *, log_path: Path, quiet: bool = False) -> RunResult:
    """Run `cmd`, streaming its output to the terminal (unless `quiet`) and to `log_path`.

    `quiet` keeps the child's output out of the terminal (it still goes to
    the log). Raises CannotStart when the program or the folder does not exist.
    """
    if cmd.tty and os.isatty(0):
        return run_tty(cmd, log_path=log_path, quiet=quiet)
    return run_piped(cmd, log_path=log_path, quiet=quiet)


def capture(argv, *, timeout: float = LOOKUP_TIMEOUT, cwd: Path | None = None,
            env: dict[str, str] | None = None, share_terminal: bool = False,
            input: bytes | None = None) -> Captured:
    """Run a lookup with stdin closed (or fed `input`, e.g. a password for
    `--password-stdin`) and its output captured. Never raises for the tool's
    exit code, a missing program, or a timeout: they are results.

    `share_terminal`: stdin stays emb's (a terminal) and stderr is copied to
    emb's stderr as it comes while also captured, so a prompt the tool (or a
    credential plugin it starts) prints and answers works; no timeout then:
    the user is typing.

    The tool runs with `launch.tool_environ(env)` (PATH, DOCKER_*, KUBECONFIG
    as emb was started with). SIGTERM/SIGHUP to emb meanwhile end the tool
    too, then raise Stopped (exit 128+N): no lookup outlives emb."""
    argv = tuple(argv)
    if share_terminal:
        return _capture_sharing(argv, cwd, launch.tool_environ(env))
    forwarder = SignalForwarder()
    with forwarder.installed():
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=launch.tool_environ(env),
                                    stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:  # not found, not executable: the caller words it
            return Captured(argv, -1, start_errno=exc.errno)
        except ValueError:  # a NUL byte in an argument
            return Captured(argv, -1, start_errno=errno.EINVAL)
        forwarder.attach(proc)
        with proc:
            try:
                out, err = proc.communicate(input=input, timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                if forwarder.signum is None:
                    return Captured(argv, -1, out or b"", err or b"", timed_out=True)
            except BaseException:
                proc.kill()  # Ctrl+C (KeyboardInterrupt): never leave the tool behind
                proc.wait()
                raise
    if forwarder.signum is not None:
        raise Stopped(forwarder.signum)
    return Captured(argv, proc.returncode, out, err)


def _capture_sharing(argv: tuple, cwd, env) -> Captured:
    import threading

    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        return Captured(argv, -1, start_errno=exc.errno)
    err = bytearray()

    def copy_stderr():
        for chunk in iter(lambda: proc.stderr.read1(65536), b""):
            err.extend(chunk)
            try:
                sys.stderr.buffer.write(chunk)
                sys.stderr.flush()
            except OSError:
                pass

    thread = threading.Thread(target=copy_stderr, daemon=True)
    thread.start()
    try:
        out = proc.stdout.read()
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        raise
    finally:
        thread.join()
        proc.stdout.close()
        proc.stderr.close()
    return Captured(argv, proc.returncode, out, bytes(err))


def passthrough(argv: list[str], *, cwd: Path | None = None, stdin=None,
                env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run a tool whose output is meant for the user (`logs -f`, `up`, `rollout
    restart`): stdout inherited, stderr copied through line by line while its
    last lines are kept, so the caller can turn a failure it recognises into
    emb's one-line error. Not logged: these are not task runs.

    Returns (exit code, stderr tail); EXIT_INTERRUPTED after Ctrl+C (the tool,
    in emb's process group, got the SIGINT too; it is ended and reaped);
    128+N after SIGTERM/SIGHUP sent to emb (passed on to the tool, which is
    waited for). The tool runs with `launch.tool_environ(env)`.
    OSError from starting the tool propagates for the caller to explain.
    """
    forwarder = SignalForwarder()
    with forwarder.installed():
        proc = subprocess.Popen(argv, cwd=cwd, stdin=stdin, stderr=subprocess.PIPE, env=launch.tool_environ(env))
        forwarder.attach(proc)
        tail: deque[bytes] = deque(maxlen=20)
        try:
            for line in proc.stderr:
                tail.append(line)
                _copy_to_stderr(line)
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            code = EXIT_INTERRUPTED
        finally:
            proc.stderr.close()
    if forwarder.signum is not None:
        return 128 + forwarder.signum, b"".join(tail)
    return code, b"".join(tail)


def _copy_to_stderr(line: bytes) -> None:
    """A tool's stderr line to emb's; a closed or gone stderr is not a reason to stop the tool."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.buffer.write(line)
        stream.flush()
    except (OSError, ValueError, AttributeError):
        pass
