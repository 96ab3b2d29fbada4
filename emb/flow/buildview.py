"""What emb shows while builds run (stderr; stdout stays for --json).

- `PlainView` (off a terminal): every output line prefixed with its resource,
  `api:image | Step 2/5 : COPY . /app`, emb's own lines between them.
- `LiveView` (on a terminal): one status line per running build (spinner,
  elapsed time, its last output line), redrawn in place; a finished build's
  line folds into a one-line summary; a failed build's whole output (its log)
  is printed after it fails.

Both are called from the build threads; every write holds one lock.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from emb.output import style

# Colour and cursor sequences in a build's output (the legacy builder colours a RUN's
# stderr): kept in the log, left out of emb's lines.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def plain(text: str) -> str:
    return _ANSI.sub("", text)

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
MAX_FAILED_OUTPUT = 400  # lines of a failed build's log printed on a terminal (the log has all)


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class PlainView:
    def __init__(self, stream, *, lines: bool = True, quiet: bool = False):
        self.stream = stream
        self.lines = lines  # copy the builds' output
        self.quiet = quiet  # only failures
        self.lock = threading.Lock()

    def _write(self, text: str, always: bool = False) -> None:
        if self.quiet and not always:
            return
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _emb(self) -> str:
        return style("emb:", self.stream, fg="cyan")

    def fresh(self, rid, decision) -> None:
        self._write(f"{self._emb()} {rid}: {decision.reason}")

    def started(self, rid, decision, shown: str) -> None:
        self._write(f"{self._emb()} building {rid} ({decision.reason})")

    def line(self, rid: str, data: bytes) -> None:
        if not self.lines or self.quiet:
            return
        text = plain(data.decode("utf-8", "replace").rstrip("\r\n"))
        with self.lock:
            self.stream.write(f"{rid} | {text}\n")
            self.stream.flush()

    def done(self, rid, decision, duration: float, log) -> None:
        self._write(f"{self._emb()} {rid} {style('built', self.stream, fg='green')} in {_seconds(duration)}")

    def failed(self, rid, message: str, log) -> None:
        where = f" (log: {display_path(log)})" if log else ""
        self._write(f"{self._emb()} {rid} {style('failed', self.stream, fg='red', bold=True)}: {message}{where}",
                    always=True)

    def skipped(self, rid, because: str) -> None:
        self._write(f"{self._emb()} {rid} skipped: its dependency {because} did not build", always=True)

    def not_started(self, rids) -> None:
        if rids:
            self._write(f"{self._emb()} not started after the failure: {', '.join(rids)}", always=True)

    def tick(self) -> None:
        pass

    def close(self) -> None:
        pass


class LiveView(PlainView):
    def __init__(self, stream):
        super().__init__(stream)
        self.running: dict[str, list] = {}  # rid -> [started, last line]
        self.drawn = 0  # status lines on screen
        self.frame = 0

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return 80

    def _clear(self) -> str:
        return f"\x1b[{self.drawn}F\x1b[J" if self.drawn else "\r\x1b[J"

    def _status(self) -> str:
        width = self._width() - 1
        now = time.monotonic()
        out = []
        spin = SPINNER[self.frame % len(SPINNER)]
        for rid, (started, last) in self.running.items():
            head = f"{spin} {rid} {now - started:5.1f}s "
            out.append((head + last)[:width])
        self.drawn = len(out)
        return "".join(line + "\n" for line in out)

    def _permanent(self, text: str) -> None:
        with self.lock:
            clear = self._clear()
            self.stream.write(clear + text + "\n" + self._status())
            self.stream.flush()

    def _write(self, text: str, always: bool = False) -> None:
        self._permanent(text)

    def started(self, rid, decision, shown: str) -> None:
        with self.lock:
            self.running[rid] = [time.monotonic(), decision.reason]
        self._permanent(f"{self._emb()} building {rid} ({decision.reason})")

    def line(self, rid: str, data: bytes) -> None:
        text = plain(data.decode("utf-8", "replace")).strip()
        if text:
            with self.lock:
                if rid in self.running:
                    self.running[rid][1] = text

    def done(self, rid, decision, duration: float, log) -> None:
        with self.lock:
            self.running.pop(rid, None)
        super().done(rid, decision, duration, log)

    def failed(self, rid, message: str, log) -> None:
        with self.lock:
            self.running.pop(rid, None)
        output = ""
        if log is not None:
            try:
                lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            shown = lines[-MAX_FAILED_OUTPUT:]
            output = "".join(f"{rid} | {plain(line)}\n" for line in shown)
        self._permanent(output + f"{self._emb()} {rid} {style('failed', self.stream, fg='red', bold=True)}: "
                        f"{message}" + (f" (log: {display_path(log)})" if log else ""))

    def tick(self) -> None:
        with self.lock:
            self.frame += 1
            if not self.running and not self.drawn:
                return
            self.stream.write(self._clear() + self._status())
            self.stream.flush()

    def close(self) -> None:
        with self.lock:
            self.running.clear()
            if self.drawn:
                self.stream.write(self._clear())
                self.drawn = 0
                self.stream.flush()


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f}s"
