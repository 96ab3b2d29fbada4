"""Runs whose output is read line by line by emb: builds, several at once.

`Streamed(cmd, log_path)` starts the child (stdin closed, stderr merged into
stdout: a build's output is one stream), `pump(on_line)` copies every byte to
the log file and hands each line to `on_line` (the caller prefixes it, or
shows it on a status line), then returns the RunResult. Unlike `run`, it
installs no signal handlers, so it can be used from worker threads: the
child stays in emb's process group and gets a terminal's Ctrl+C with emb;
the caller ends what is left with `stop()`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Callable

from emb.process.child import child_environment, exit_code_of, spawn_error, write_all
from emb.process.command import Command, RunResult
from emb.process.logs import open_log

GRACE_KILL = 3.0  # seconds between SIGTERM and SIGKILL in stop()


class Streamed:
    def __init__(self, cmd: Command, log_path: Path, header: bytes = b""):
        self.cmd = cmd
        self.log_path = log_path
        self.stopped = False
        self._log_fd = open_log(log_path)
        if header:
            write_all(self._log_fd, header)
        self._started = time.monotonic()
        try:
            self.proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env=child_environment(cmd),
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
        except OSError as err:
            os.close(self._log_fd)
            raise spawn_error(cmd, err) from None

    def pump(self, on_line: Callable[[bytes], None] | None = None) -> RunResult:
        """Copy the output to the log (and each line to `on_line`) until the child ends."""
        tail: deque[bytes] = deque(maxlen=40)
        try:
            for line in self.proc.stdout:
                write_all(self._log_fd, line)
                tail.append(line)
                if on_line is not None:
                    on_line(line)
            code = self.proc.wait()
        finally:
            self.proc.stdout.close()
            os.close(self._log_fd)
        return RunResult(exit_code_of(code), time.monotonic() - self._started, self.log_path,
                         b"".join(tail), interrupted=self.stopped)

    def stop(self) -> None:
        """End the child (SIGTERM, then SIGKILL after GRACE_KILL seconds); safe to call twice."""
        self.stopped = True
        if self.proc.poll() is not None:
            return
        try:
            self.proc.terminate()
            self.proc.wait(GRACE_KILL)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        except OSError:
            pass
