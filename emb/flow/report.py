"""What emb says about a run: progress lines on stderr (text, colour on a
terminal, or JSON Lines with --json) and the --dry-run plan (text or JSON)."""

from __future__ import annotations

import os
import shlex
import sys
import time

from emb.errors import EmbError
from emb.flow.confirm import expanded
from emb import redact
from emb.output import has_controls, json_text, note, printable, style
from emb.process.command import Command, RunResult


def command_line(cmd: Command) -> str:
    """The runnable line for a Command: `env K=V ... ARGV` when it adds environment variables.

    Exact and runnable, with two exceptions for safety: known secret values are
    *** (emb.redact), and an argument holding control characters is written
    in bash's $'...' form (`$'\x1b]52;...'`), so printing it cannot drive the terminal."""
    # Masked before quoting: a secret holding a quote would not be found in the quoted form.
    line = " ".join(quote(redact.mask(a)) for a in cmd.argv)
    if cmd.env:
        assignments = " ".join(f"{quote(k)}={quote(redact.mask(v))}" for k, v in cmd.env.items())
        line = f"env {assignments} {line}"
    return line


def quote(arg: str) -> str:
    """shlex.quote, or $'...' (ANSI-C quoting) when `arg` holds control characters other than \n and \t."""
    if not has_controls(arg):
        return shlex.quote(arg)
    # \xNN per UTF-8 byte: bash rebuilds the same bytes (a C1 control is two of them).
    body = "".join("".join(f"\\x{b:02x}" for b in c.encode()) if has_controls(c) else "\\\\" if c == "\\" else "\\'" if c == "'" else
                   "\\n" if c == "\n" else c for c in arg)
    return f"$'{body}'"


def plan_item(task, executor: str | None, cmd: Command | None) -> dict:
    item = {"id": task.id, "executor": executor}
    if cmd is None:
        item.update(argv=None, env={}, cwd=None, tty=False, where="", details={}, command=None)
    else:
        item.update(
            argv=redact.mask_data(list(cmd.argv)),
            env=redact.mask_data(dict(cmd.env)),
            cwd=None if cmd.cwd is None else str(cmd.cwd),
            tty=cmd.tty,
            where=cmd.where,
            details=dict(cmd.details),
            command=command_line(cmd),
        )
    item["confirm"] = None
    if task.confirm is not None and cmd is not None:
        message, expected = expanded(task)
        item["confirm"] = {"message": message, "expect": expected}
    return item


def plan_text(item: dict, number: int, total: int) -> str:
    head = f"# [{number}/{total}] {item['id']}"
    if item["executor"] is None:
        return f"{head}: nothing of its own to run (only `pre` tasks)"
    lines = [f"{head}: {item['executor']}" + (f", {item['where']}" if item["where"] else "")]
    if item["cwd"]:
        lines.append(f"# cwd: {item['cwd']}")
    for key, value in item["details"].items():
        if key not in ("cwd", "executor"):  # already on the lines above
            lines.append(f"# {key}: {value}")
    if item["tty"]:
        lines.append("# runs under a pseudo-terminal (interactive)")
    if item["confirm"]:
        lines.append(f"# asks first: {item['confirm']['message']} (type '{item['confirm']['expect']}')")
    lines.append(item["command"])
    return printable("\n".join(lines))  # where/details/confirm come from configuration


class Reporter:
    """emb's progress lines on stderr: text (colour on a terminal) or JSON Lines."""

    def __init__(self, as_json: bool, quiet: bool):
        self.as_json = as_json
        self.quiet = quiet

    def _emit(self, event: dict, text: str, always: bool = False) -> None:
        if self.quiet and not always:
            return
        # JSON Lines: strict, masked (a start event carries the argv); text: note() masks and escapes.
        note(json_text(event) if self.as_json else text)

    def start(self, task, executor: str, cmd: Command) -> None:
        where = f", {cmd.where}" if cmd.where else ""
        self._emit(
            {"event": "start", "task": task.id, "executor": executor, "where": cmd.where,
             "argv": list(cmd.argv), "tty": cmd.tty, "time": time.time()},
            f"{_prefix()} running {_bold(task.id)} ({executor}{where})",
        )

    def retry(self, task, cmd: Command) -> None:
        self._emit(
            {"event": "retry", "task": task.id, "where": cmd.where, "argv": list(cmd.argv)},
            f"{_prefix()} retrying {_bold(task.id)}" + (f" ({cmd.where})" if cmd.where else ""),
        )

    def skip(self, task) -> None:
        self._emit(
            {"event": "skip", "task": task.id, "reason": "only pre tasks"},
            f"{_prefix()} {_bold(task.id)}: nothing of its own to run",
        )

    def end(self, task, result: RunResult) -> None:
        log = _display_path(result.log_path)
        event = {"event": "end", "task": task.id, "ok": result.exit_code == 0, "exit_code": result.exit_code,
                 "interrupted": result.interrupted, "duration": round(result.duration, 3), "log": str(result.log_path)}
        took = duration_text(result.duration)
        if result.exit_code == 0:
            self._emit(event, f"{_prefix()} {_bold(task.id)} {style('done', sys.stderr, fg='green')} in {took}")
        elif result.interrupted:
            self._emit(event, f"{_prefix()} {_bold(task.id)} {style('interrupted', sys.stderr, fg='yellow')} after {took} (log: {log})", always=True)
        else:
            failed = style(f"failed with exit code {result.exit_code}", sys.stderr, fg="red", bold=True)
            self._emit(event, f"{_prefix()} {_bold(task.id)} {failed} after {took} (log: {log})", always=True)


def report_error(err: EmbError) -> None:
    note(json_text({"event": "error", "message": err.message, "hints": list(err.hints), "exit_code": err.exit_code}))


def duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"  # "0.00s" told nothing about a fast task
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def _prefix() -> str:
    return style("emb:", sys.stderr, fg="cyan")


def _bold(text: str) -> str:
    return style(text, sys.stderr, bold=True)


def _display_path(path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)
