"""`confirm:` prompts (SPEC §3): the user types the expected text before a task runs.

- The prompt goes to stderr; the answer is one line read from stdin, which
  must be a terminal. With no terminal on stdin emb cannot ask, so the task
  cannot start (exit 125): a script must not hang on a prompt nobody sees.
- `expect` absent: the answer must be `yes`.
- The answer must equal `expect` exactly (surrounding blanks ignored).
  Anything else, or end of input, declines: nothing more runs and emb exits
  130 ("stopped by the user", as a Ctrl+C at the prompt would).
- `message` and `expect` may refer to the task's vars (`$ENV`, `${ENV}`);
  `${env:...}`/`${vars:...}` were expanded with the rest of the config. A
  name that is neither a task var nor set in the environment stays as
  written, so a literal `$` in a message is harmless.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Mapping

from emb.errors import EXIT_INTERRUPTED, CannotStart, EmbError
from emb.model import Task

_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class NotConfirmed(EmbError):
    exit_code = EXIT_INTERRUPTED


def expand(text: str, task_vars: Mapping[str, str], environ: Mapping[str, str] | None = None) -> str:
    """Replace `$NAME` / `${NAME}` with the task var, else the environment variable, in one pass."""
    environ = os.environ if environ is None else environ

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name in task_vars:
            return task_vars[name]
        return environ.get(name, match.group(0))

    return _REFERENCE.sub(replace, text)


def expanded(task: Task) -> tuple[str, str]:
    """(message, expected answer) of a task's confirm, with the task's vars expanded."""
    assert task.confirm is not None
    message = expand(task.confirm.message, task.vars)
    expected = expand(task.confirm.expect, task.vars) if task.confirm.expect is not None else "yes"
    return message, expected


def require_terminal(task: Task, stdin_tty: bool) -> None:
    """Fail before anything runs when a confirm cannot be asked."""
    if task.confirm is not None and not stdin_tty:
        raise CannotStart(
            f"task {task.id} asks for confirmation, but stdin is not a terminal",
            ["run it from a terminal to answer the prompt", f"see what it would do with: emb run --dry-run {task.id}"],
        )


def ask(task: Task, *, stdin_tty: bool, where: str = "") -> None:
    """Ask; return when confirmed, raise NotConfirmed (130) or CannotStart (125) otherwise."""
    if task.confirm is None:
        return
    require_terminal(task, stdin_tty)
    message, expected = expanded(task)
    target = f" ({where})" if where else ""
    sys.stderr.write(f"{task.id}{target}: {message}\nType '{expected}' to continue: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
    if answer.strip() != expected.strip():
        raise NotConfirmed(f"task {task.id} was not confirmed: it did not run")
