"""Piped runs: the child's output streamed live and into the run's log file.

The child's stdout goes to emb's stdout and its
  stderr to emb's stderr, byte for byte and kept apart; both are also
  appended to the log file in arrival order. stdin is inherited, so piped
  input reaches the task. The copy loop uses poll + os.readv into one reusable
  buffer + os.write: no decoding, no per-line work. Nothing is forwarded to
  an emb stdout that is /dev/null. Bulk output (past BULK_AFTER bytes) is
  read in larger batches and, on Linux, copied with tee(2)/splice(2) without
  passing through Python, the log file written by a second thread (see
  `_Splicer`); the run returns once the log holds everything.
- (The other mode, a command under a pseudo-terminal, is tty.py.)

Process groups and Ctrl+C (piped mode). The child starts in a new session
(so a new process group, pgid == its pid) and emb stays in the terminal's
foreground group. So a terminal Ctrl+C reaches emb, not the child; emb
forwards SIGINT to the child's whole group, then SIGTERM after
`GRACE_TERM` seconds, then SIGKILL after `GRACE_KILL` more (a second Ctrl+C
skips ahead), until no process of the group is left, and reports 128+signal
(130 for Ctrl+C). SIGTERM and SIGHUP sent to emb are forwarded the same way.
Trade-off: the child has no controlling terminal. Reading stdin works (a
task doing `read x` on a terminal gets the line: only reads from one's own
controlling terminal are subject to job control), but programs that open
/dev/tty themselves (sudo or ssh password prompts, pagers) cannot: declare
such tasks `interactive: true`, which runs them under a pseudo-terminal.

When the child exits, whatever it wrote is drained and the run ends, even if
a background process it started still holds the pipes open (as when the
script runs directly on a terminal). That process is not killed, but its
later output has nowhere to go.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from emb.process.child import (BUFFER_SIZE, FORWARDED, child_environment, exit_code_of, keep_tail,
                               spawn_error, write_all)
from emb.process.command import Command, RunResult
from emb.process.logs import LogSink, open_log

GRACE_TERM = 2.0  # seconds between the forwarded SIGINT and SIGTERM
GRACE_KILL = 3.0  # seconds between SIGTERM and SIGKILL
PIPE_SIZE = 1 << 20  # ask the kernel for 1 MiB pipes: fewer, larger reads
# "Bulk" output: past this many bytes, stdout goes through tee/splice (Linux)
# and small reads wait BULK_WAIT seconds for the pipe to fill (BULK_READ: small).
BULK_AFTER = 4 << 20
BULK_READ = 256 << 10
BULK_WAIT = 0.0005  # long enough to batch small writes, short enough not to stall a fast writer


def run_piped(cmd: Command, *, log_path: Path, quiet: bool) -> RunResult:
    log_fd = open_log(log_path)
    started = time.monotonic()
    pump = _Pump(LogSink(log_fd, log_path), quiet)
    try:
        # Signal handlers first: a Ctrl+C right after the child starts must be
        # forwarded to it, not end emb with the child still running.
        with pump.signals():
            try:
                proc = subprocess.Popen(
                    cmd.argv,
                    cwd=cmd.cwd,
                    env=child_environment(cmd),
                    stdin=None if cmd.stdin_header is None else subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            except (OSError, ValueError) as err:
                raise spawn_error(cmd, err) from None
            if cmd.stdin_header is not None:
                _feed_stdin(proc, cmd.stdin_header, cmd.stdin_follows)
            code = pump.run(proc)
        return RunResult(
            exit_code=code,
            duration=time.monotonic() - started,
            log_path=log_path,
            stderr_tail=bytes(pump.tail),
            interrupted=pump.interrupted is not None,
            log_complete=pump.log.error is None,
        )
    finally:
        os.close(log_fd)


def _feed_stdin(proc: subprocess.Popen, header, follows: bool) -> None:
    """The child's stdin: `header`, then (if `follows`) emb's own stdin byte for byte
    until its end, then end of input. A thread, so the output loop never waits on it;
    a child that stops reading (exits) ends it quietly. `header` may be a callable
    that blocks until the header is known: None from it means "end the input now"."""
    pipe = proc.stdin
    fd = pipe.fileno()

    def feed():
        try:
            data = header() if callable(header) else header
            if data is None:
                return
            write_all(fd, data)
            if follows:
                while True:
                    chunk = os.read(0, BUFFER_SIZE)
                    if not chunk:
                        break
                    write_all(fd, chunk)
        except OSError:
            pass  # EPIPE: the child is gone; EBADF: emb's stdin is closed
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    threading.Thread(target=feed, name="emb-stdin", daemon=True).start()


class _Pump:
    """Copy a child's pipes to emb's stdout/stderr and the log; stop it on Ctrl+C."""

    def __init__(self, log: LogSink, quiet: bool):
        self.log = log
        self.log_fd = log.fd
        self.quiet = quiet
        self.tail = bytearray()
        self.interrupted: int | None = None  # the first forwarded signal
        self.pending: list[int] = []
        self.child_changed = True  # SIGCHLD seen (or unknown): check the child
        self.escalation: list[tuple[float, int]] = []  # (when, signal) still to send
        self.buffer = bytearray(BUFFER_SIZE)
        self.view = memoryview(self.buffer)
        self.stdout_bytes = 0
        self.streamed = 0  # bytes copied from both pipes
        self.last_read = 0
        self.splicer: _Splicer | None | bool = None  # None: not decided yet; False: not available
        self.log_thread: _LogThread | None = None  # bulk output: the log is written by a second thread
        self.wake_r: int | None = None

    # The signal handlers only record; the loop acts. The wakeup fd makes
    # poll() return as soon as a signal arrives.
    def _on_signal(self, signum, frame):
        if signum == signal.SIGCHLD:
            self.child_changed = True
        else:
            self.pending.append(signum)

    @contextlib.contextmanager
    def signals(self):
        """Record SIGINT/SIGTERM/SIGHUP/SIGCHLD while running (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        saved = {}
        try:
            for sig in (*FORWARDED, signal.SIGCHLD):
                saved[sig] = signal.signal(sig, self._on_signal)
            old_wakeup = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
            self.wake_r = wake_r
            try:
                yield
            finally:
                signal.set_wakeup_fd(old_wakeup)
        finally:
            self.wake_r = None
            for sig, handler in saved.items():
                signal.signal(sig, handler)
            os.close(wake_r)
            os.close(wake_w)

    def run(self, proc: subprocess.Popen) -> int:
        self.proc = proc
        out, err = proc.stdout.fileno(), proc.stderr.fileno()
        self.target = {out: 1, err: 2}  # child pipe -> emb's fd
        self.stdout_fd = out
        # Forward to emb's own fds unless quiet; writing to /dev/null does nothing,
        # so `emb run x > /dev/null` only copies into the log.
        self.forward = {out: not self.quiet and not _is_devnull(1), err: not self.quiet}
        for fd in self.target:
            _grow_pipe(fd)
        try:
            self._loop(self.wake_r, poll_child_every=None if self.wake_r is not None else 0.1)
            return self._finish()
        finally:
            try:
                if self.log_thread is not None:
                    self.log_thread.close()  # the log is complete before the run returns
            finally:
                for stream in (proc.stdout, proc.stderr):
                    stream.close()

    def _loop(self, wake_r: int | None, poll_child_every: float | None) -> None:
        poller = select.poll()
        open_fds = set(self.target)
        # Registration order is the order poll() reports ready pipes in: stdout
        # first, so a task writing to stdout then to stderr is logged that way
        # when both are ready at once (two pipes cannot tell the true order).
        for fd in self.target:
            poller.register(fd, select.POLLIN)
        if wake_r is not None:
            poller.register(wake_r, select.POLLIN)
        # Runs until the pipes are closed and the child has exited (a child may
        # close its stdout and keep running: Ctrl+C must still work then).
        while open_fds or self.proc.returncode is None:
            timeout = self._timeout(poll_child_every)
            if not open_fds and wake_r is None:
                timeout = poll_child_every
            for fd, _event in poller.poll(None if timeout is None else timeout * 1000):
                if fd == wake_r:
                    _drain_wakeup(wake_r)
                    continue
                if not self._copy_once(fd):
                    poller.unregister(fd)
                    open_fds.discard(fd)
                    self._close(fd)
            self._handle_signals()
            if self.streamed > BULK_AFTER and 0 < self.last_read < BULK_READ and not self.pending:
                # A task streaming lots of output in small writes would wake us
                # for every few kilobytes; letting the pipe fill for a moment
                # turns thousands of tiny copies into far fewer large ones.
                time.sleep(BULK_WAIT)
            if self.child_changed or poll_child_every is not None:
                self.child_changed = False
                if self.proc.poll() is not None:
                    # The child is gone: take what it left in the pipes and stop,
                    # even if a background process still holds them open.
                    for fd in [fd for fd in self.target if fd in open_fds]:
                        self._drain(fd)
                        poller.unregister(fd)
                        open_fds.discard(fd)
                        self._close(fd)

    def _close(self, fd: int) -> None:
        """Stop reading a child pipe. Closing our end matters: a child still
        writing to it gets SIGPIPE instead of blocking forever."""
        for stream in (self.proc.stdout, self.proc.stderr):
            if not stream.closed and stream.fileno() == fd:
                stream.close()

    def _timeout(self, poll_child_every: float | None) -> float | None:
        waits = [poll_child_every] if poll_child_every is not None else []
        if self.escalation:
            waits.append(max(0.0, self.escalation[0][0] - time.monotonic()))
        return min(waits) if waits else None

    def _copy_once(self, fd: int) -> bool:
        """Copy one read's worth from a child pipe; False at end of file."""
        if fd == self.stdout_fd and self.stdout_bytes > BULK_AFTER:
            if self.splicer is None:
                self.splicer = self._start_bulk() or False
            if self.splicer:
                n = self.splicer.copy_once(fd)
                self.last_read = n
                self.streamed += n
                return n > 0
        try:
            n = os.readv(fd, [self.buffer])
        except BlockingIOError:
            return True
        except OSError as err:
            if err.errno == errno.EINTR:
                return True
            raise
        self.last_read = n
        self.streamed += n
        if n == 0:
            return False
        data = self.view[:n]
        if self.log_thread is not None:
            self.log_thread.send(data)
        else:
            self.log.write(data)
        if fd == self.stdout_fd:
            self.stdout_bytes += n
        elif self.target[fd] == 2:
            keep_tail(self.tail, data)
        if self.forward[fd]:
            try:
                write_all(self.target[fd], data)
            except BrokenPipeError:
                # Whoever reads emb's output went away (`emb run x | head`):
                # close the child's end too, so it gets SIGPIPE like in a pipeline.
                return False
        return True

    def _start_bulk(self) -> _Splicer | None:
        """Switch stdout to tee/splice, the log to a second thread (Linux)."""
        if not sys.platform.startswith("linux") or not hasattr(os, "splice"):
            return None
        out = 1 if self.forward[self.stdout_fd] else None
        log_thread = _LogThread(self.log)
        splicer = _Splicer.create(log_thread, out, self.buffer)
        if splicer is None:
            log_thread.close()
            return None
        self.log_thread = log_thread
        if out is not None:
            _grow_pipe(1, only_fifo=True)  # larger copies into emb's own stdout pipe too
        return splicer

    def _drain(self, fd: int) -> None:
        """Copy what is already in a pipe, without waiting for more.

        The pipe stays blocking: only this thread reads it, so a pipe that
        poll() calls readable has data (or is at end of file) until we read it.
        A non-blocking pipe would make tee(2) answer EAGAIN also when the
        *log* pipe is full, which used to read as "nothing left" and lost
        the tail of the output whenever the log writer was behind."""
        while True:
            try:
                if not select.select([fd], [], [], 0)[0]:
                    return
            except OSError:
                return
            if not self._copy_once(fd):
                return

    # ---------------------------------------------------------------- Ctrl+C

    def _handle_signals(self) -> None:
        while self.pending:
            signum = self.pending.pop(0)
            if self.interrupted is None:
                self.interrupted = signum
                self._signal_group(signum)
                now = time.monotonic()
                self.escalation = [(now + GRACE_TERM, signal.SIGTERM), (now + GRACE_TERM + GRACE_KILL, signal.SIGKILL)]
            elif self.escalation:
                # Asked again: do not make the user wait for the grace period.
                self._signal_group(self.escalation.pop(0)[1])
        now = time.monotonic()
        while self.escalation and self.escalation[0][0] <= now:
            self._signal_group(self.escalation.pop(0)[1])

    def _signal_group(self, signum: int) -> bool:
        """Send `signum` to the child's process group; False when the group is empty."""
        try:
            os.killpg(self.proc.pid, signum)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # a member changed its uid (setuid program): it still exists

    def _finish(self) -> int:
        if self.interrupted is None:
            return exit_code_of(self.proc.returncode)
        # Interrupted: keep escalating until the child and every process of its
        # group are gone, so nothing is left behind.
        while True:
            self._handle_signals()
            self.proc.poll()
            if self.proc.returncode is not None:
                if not _group_alive(self.proc.pid):
                    break
                if self.escalation and self.escalation[0][1] == signal.SIGTERM:
                    # The task's own process is gone; what is left are background
                    # processes that ignore SIGINT: no reason to wait for them.
                    self._signal_group(self.escalation.pop(0)[1])
            if not self.escalation and self.proc.returncode is not None:
                # SIGKILL was sent; what remains can only be exiting processes.
                deadline = time.monotonic() + 1.0
                while _group_alive(self.proc.pid) and time.monotonic() < deadline:
                    time.sleep(0.01)
                break
            time.sleep(0.01)
        return 128 + self.interrupted


class _Splicer:
    """Large outputs on Linux: copy the child's stdout without passing through Python.

    Per chunk, tee(2) duplicates the child pipe's pages into the log pipe of a
    `_LogThread` (no copy: pages are shared), then splice(2) moves them on to
    emb's stdout when that is a pipe, a file or /dev/null (read + write when
    it is a terminal). The one real copy, into the log file's page cache, is
    the log thread's, on another core: the child keeps writing meanwhile.
    Nothing is forwarded when `out` is None (quiet, or stdout is /dev/null):
    then the chunk is spliced into the log pipe alone and tee is not needed.
    Used only once a run has written BULK_AFTER bytes, so short runs never pay
    for the thread or the ctypes import; stderr always takes the read/write
    path (it feeds the tail), into the same log pipe so the log keeps the
    arrival order.
    """

    def __init__(self, tee, get_errno, log: "_LogThread", out: int | None, buffer: bytearray):
        self.tee = tee
        self.get_errno = get_errno
        self.log = log
        self.out = out
        self.out_splices = out is not None and _spliceable(out)
        self.view = memoryview(buffer)

    @classmethod
    def create(cls, log: "_LogThread", out: int | None, buffer: bytearray) -> "_Splicer | None":
        if out is None:
            return cls(None, None, log, None, buffer)
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            tee = libc.tee
        except (ImportError, OSError, AttributeError):
            return None
        tee.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_uint]
        tee.restype = ctypes.c_ssize_t
        return cls(tee, ctypes.get_errno, log, out, buffer)

    def copy_once(self, fd: int) -> int:
        """Bytes copied; 0 at end of file or when emb's reader went away.

        Called only when `fd` is readable. The log pipe is non-blocking, so a
        full one (the log writer is behind) answers EAGAIN: then wait for
        room and try again. That is never the end of the output."""
        if self.out is None:
            return self.log.splice_from(fd)
        while True:
            n = self.tee(fd, self.log.w, BUFFER_SIZE, 0)
            if n >= 0:
                break
            err = self.get_errno()
            if err == errno.EINTR:
                continue
            if err == errno.EAGAIN:
                self.log.wait_room()
                continue
            raise OSError(err, os.strerror(err))
        # The n bytes are in the log now and still at the head of the child pipe.
        left = n
        while left:
            moved = self._forward(fd, left)
            if moved == 0:
                return 0  # the reader went away: as in the read/write loop
            left -= moved
        return n

    def _forward(self, fd: int, count: int) -> int:
        """Move up to `count` bytes from the child pipe to emb's stdout; 0 if its reader left."""
        if self.out_splices:
            try:
                return _splice_some(fd, self.out, count)
            except BrokenPipeError:
                return 0
            except OSError as err:
                if err.errno != errno.EINVAL:
                    raise
                self.out_splices = False  # e.g. a file opened O_APPEND (`>>`): splice refuses those
        n = os.readv(fd, [self.view[:count]])
        try:
            write_all(self.out, self.view[:n])
        except BrokenPipeError:
            return 0
        return n


class _LogThread:
    """Writes the log from a second thread, fed through a pipe.

    Whatever goes into `w` (stdout pages spliced in, stderr bytes written)
    reaches the log file in that order. `close()` waits until all of it is
    in the file, so the log is complete when the run returns. Signals stay
    with the main thread: it is the one that forwards them to the child.
    `w` is non-blocking: a full pipe (the writer is behind) makes the main
    thread wait in `wait_room`, never read as the end of the output.
    """

    def __init__(self, log: LogSink):
        self.log = log
        self.log_fd = log.fd
        self.r, self.w = os.pipe2(os.O_CLOEXEC)
        _grow_pipe(self.w)
        os.set_blocking(self.w, False)
        self.thread = threading.Thread(target=self._run, name="emb-log", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            signal.pthread_sigmask(signal.SIG_BLOCK, {*FORWARDED, signal.SIGCHLD})
        try:
            while self.log.error is None:
                if not _splice_some(self.r, self.log_fd, BUFFER_SIZE):
                    return
        except OSError as err:
            self.log.failed(err)
        # The log failed (now or before): keep emptying the pipe, or the main
        # thread would wait for room forever.
        with contextlib.suppress(OSError):
            while os.read(self.r, BUFFER_SIZE):
                pass

    def wait_room(self) -> None:
        """Block until the log pipe can take more (the writer made room)."""
        select.select([], [self.w], [])

    def send(self, data) -> None:
        """Bytes the main thread read itself (stderr) into the log pipe, in order."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.w, view):]
            except BlockingIOError:
                self.wait_room()

    def splice_from(self, fd: int) -> int:
        """Move up to a buffer's worth from a readable child pipe into the log pipe."""
        while True:
            try:
                return os.splice(fd, self.w, BUFFER_SIZE)
            except InterruptedError:
                continue
            except BlockingIOError:
                self.wait_room()

    def close(self) -> None:
        """Wait until everything written so far is in the log (or the log failed)."""
        os.close(self.w)
        self.thread.join()
        os.close(self.r)


def _splice_some(src: int, dst: int, count: int) -> int:
    while True:
        try:
            return os.splice(src, dst, count)
        except InterruptedError:
            continue
        except BlockingIOError:
            # dst was left non-blocking by whoever started emb and is full: wait for room.
            select.select([], [dst], [])


def _spliceable(fd: int) -> bool:
    """Can splice(2) write to emb's `fd`? Pipes and files yes (not O_APPEND ones), terminals no."""
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISFIFO(mode):
            return True
        import fcntl

        return stat.S_ISREG(mode) and not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND
    except (ImportError, OSError):
        return False


def _is_devnull(fd: int) -> bool:
    """Is `fd` /dev/null? Writing to it does nothing, so there is nothing to forward."""
    try:
        st = os.fstat(fd)
        null = os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev


def _group_alive(pgid: int) -> bool:
    """Does process group `pgid` still have a live (non-zombie) member?

    An orphan that died stays a zombie until PID 1 reaps it, and some init
    processes (containers, micro-VMs) take their time: on Linux, zombies
    are told apart through /proc; elsewhere any member counts.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def _grow_pipe(fd: int, only_fifo: bool = False) -> None:
    try:
        import fcntl

        if only_fifo and not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or over /proc/sys/fs/pipe-max-size: the default size works too


def _drain_wakeup(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass
