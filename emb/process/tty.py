"""TTY runs: the command under a pseudo-terminal (pexpect), keystrokes passed
through in raw mode, the window size set at start and on every SIGWINCH, the
output also logged."""

from __future__ import annotations

import os
import select
import signal
import time
from pathlib import Path

from emb.process.child import BUFFER_SIZE, FORWARDED, child_environment, keep_tail, spawn_error, write_all
from emb.process.command import Command, RunResult
from emb.process.logs import LogSink, open_log


def _terminal_size() -> tuple[int, int]:
    for fd in (1, 0, 2):
        try:
            size = os.get_terminal_size(fd)
            return size.lines, size.columns
        except OSError:
            continue
    return 24, 80


def run_tty(cmd: Command, *, log_path: Path, quiet: bool) -> RunResult:
    import pexpect  # only interactive runs pay for it

    log_fd = open_log(log_path)
    log = LogSink(log_fd, log_path)
    started = time.monotonic()
    tail = bytearray()

    def keep(data: bytes) -> bytes:
        log.write(data)
        keep_tail(tail, data)
        return b"" if quiet else data

    # Signals sent to emb itself (kill, a closed terminal; in raw mode the
    # Ctrl+C key is a byte for the child, not a signal for emb): recorded
    # while the child starts, then raised so pexpect's interact unwinds and
    # puts the terminal back in its normal mode on the way out.
    early: list[int] = []
    saved = {sig: signal.signal(sig, lambda signum, frame: early.append(signum)) for sig in FORWARDED}
    interrupted: int | None = None
    child = None
    try:
        try:
            child = pexpect.spawn(
                cmd.argv[0],
                list(cmd.argv[1:]),
                cwd=None if cmd.cwd is None else str(cmd.cwd),
                env=child_environment(cmd),
                dimensions=_terminal_size(),
            )
        except (pexpect.ExceptionPexpect, OSError) as err:
            raise spawn_error(cmd, err if isinstance(err, OSError) else FileNotFoundError(str(err))) from None

        def resize(signum, frame):
            if not child.closed:
                child.setwinsize(*_terminal_size())

        def stop(signum, frame):
            raise _Stopped(signum)

        saved.setdefault(signal.SIGWINCH, signal.signal(signal.SIGWINCH, resize))
        for sig in FORWARDED:
            signal.signal(sig, stop)
        try:
            if early:
                raise _Stopped(early[0])
            child.interact(escape_character=None, output_filter=keep)
        except _Stopped as stopped:
            interrupted = stopped.signum
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        if interrupted is not None:
            child.terminate(force=True)
            code = 128 + interrupted
        else:
            _drain_tty(child.child_fd, keep)
            child.wait()
            code = 128 + child.signalstatus if child.signalstatus is not None else child.exitstatus
        return RunResult(
            exit_code=code,
            duration=time.monotonic() - started,
            log_path=log_path,
            stderr_tail=bytes(tail),
            interrupted=interrupted is not None,
            log_complete=log.error is None,
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        if child is not None and not child.closed:
            child.close(force=True)
        os.close(log_fd)


class _Stopped(Exception):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _drain_tty(fd: int, keep) -> None:
    """pexpect's interact loop stops when the child exits; its last output may still be unread."""
    while True:
        try:
            ready = select.select([fd], [], [], 0.05)[0]
            data = os.read(fd, BUFFER_SIZE) if ready else b""
        except OSError:  # EIO: the pseudo-terminal is closed (Linux's end of file)
            return
        if not data:
            return
        out = keep(data)
        if out:
            write_all(1, out)
