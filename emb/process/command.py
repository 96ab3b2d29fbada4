"""The values the process layer works with: a leaf module, it imports nothing of emb.

- `Command`: one command line to run on the host (argv list, never a shell
  string), with the environment it adds, its folder, whether it needs a
  terminal, and how to describe its target. Executors build them; `emb.process`
  runs them; `--dry-run` prints them.
- `RunResult`: what a run of a Command gave.
- `Captured`: what a lookup (`emb.process.capture`) gave.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

_EMPTY: Mapping[str, str] = MappingProxyType({})  # read-only default for mapping fields


class Command(NamedTuple):
    """One command line to execute on the host."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = _EMPTY  # added to emb's environment
    cwd: Path | None = None
    tty: bool = False  # run under a pseudo-terminal (pexpect)
    where: str = ""  # human description of the target ("pod api-7f9c (staging)")
    details: Mapping[str, str] = _EMPTY  # resolved target facts for --dry-run/--json
    # One of emb's tools (docker, compose, kubectl): PATH and the tool variables come
    # from the environment emb was started in, never the repository's (emb.launch).
    tool: bool = False
    # Bytes the child reads first on its stdin (piped mode), e.g. the task vars as
    # `export` lines, so secret values never appear on a command line. None: stdin is
    # emb's own. With a header, `stdin_follows` says whether emb's stdin is copied
    # after it (else the child's stdin ends after the header). A callable header is
    # waited for in the feeding thread (None: end the input without one).
    stdin_header: "bytes | Callable[[], bytes | None] | None" = None
    stdin_follows: bool = False

    def shell_line(self) -> str:
        """The argv shell-quoted, as `--dry-run` prints it."""
        return shlex.join(self.argv)


class RunResult(NamedTuple):
    exit_code: int  # the child's code; 128+N when it (or emb) died of signal N
    duration: float  # seconds
    log_path: Path
    stderr_tail: bytes = b""  # last bytes of the child's stderr (of the terminal output under a TTY)
    interrupted: bool = False  # emb received SIGINT/SIGTERM/SIGHUP and stopped the child
    log_complete: bool = True  # False: writing the log failed (full disk...); the output itself was not cut


class Captured(NamedTuple):
    """The outcome of a lookup: a tool run with its output captured (never raises for exit codes)."""

    argv: tuple[str, ...]
    returncode: int  # the tool's exit code; -1 when it could not start or timed out
    stdout: bytes = b""
    stderr: bytes = b""
    start_errno: int | None = None  # the program could not be started (ENOENT, EACCES...)
    timed_out: bool = False

    @property
    def missing(self) -> bool:
        return self.start_errno is not None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def error_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")
