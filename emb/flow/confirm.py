"""`confirm:` prompts (SPEC §3): the user types the expected text before a task runs.

- The prompt goes to stderr: `<task> (<where>): <message> (type '<expect>' to continue)`;
  the answer is one line read from stdin. When stdin is not a terminal the
  answer is read from it all the same (`yes | emb run deploy`); the run flow
  then reads every answer before anything runs.
- `expect` absent: the answer must be `yes`.
- The answer must equal `expect` exactly (surrounding blanks ignored).
  Anything else declines: nothing more runs and emb exits 130 ("stopped by
  the user", as a Ctrl+C at the prompt would). The end of the input without
  an answer: from a terminal (Ctrl+D) the same; from a pipe or file
  (`</dev/null`) the task cannot start (exit 125), with a clear message.
- `message` and `expect` are expanded by emb.config.values.resolve_task:
  `${NAME}`/`${vars:NAME}` are the task's vars (then the project's), `$NAME`
  the task's var else the environment variable (left as written if neither).
"""

from __future__ import annotations

import sys

from emb.errors import EXIT_INTERRUPTED, CannotStart, EmbError
from emb.model import Task

class NotConfirmed(EmbError):
    exit_code = EXIT_INTERRUPTED


def expanded(task: Task) -> tuple[str, str]:
    """(message, expected answer) of a task's confirm (as resolve_task expanded them)."""
    assert task.confirm is not None
    expected = task.confirm.expect if task.confirm.expect is not None else "yes"
    return task.confirm.message, expected


def ask(task: Task, *, stdin_tty: bool, where: str = "") -> None:
    """Ask; return when confirmed, raise NotConfirmed (130) or CannotStart (125) otherwise."""
    if task.confirm is None:
        return
    message, expected = expanded(task)
    target = f" ({where})" if where else ""
    sys.stderr.write(f"{task.id}{target}: {message} (type '{expected}' to continue): ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):  # stdin closed or unreadable: no answer
        answer = ""
    if not answer:
        sys.stderr.write("\n")
        if not stdin_tty:
            raise CannotStart(
                f"task {task.id} asks for confirmation, but its input ended without an answer: it did not run",
                [f"pipe the answer in: echo {shlex_quote(expected)} | emb run {task.id}",
                 f"see what it would do with: emb run --dry-run {task.id}"])
    if answer.strip() != expected.strip():
        raise NotConfirmed(f"task {task.id} was not confirmed: it did not run")


def shlex_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
