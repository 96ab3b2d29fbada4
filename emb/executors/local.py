"""The local executor: `sh -c SCRIPT` on this machine (SPEC §1, §3).

- Working directory: the component's folder (the monorepo root for project
  tasks), or `workdir` resolved against it (an absolute `workdir` is used as is).
- Task `vars` are added to the environment of `sh` (values byte for byte:
  they never pass through a shell). Project `env` is already in emb's own
  environment (the config layer exports it), so the task inherits it.
- A TTY only for interactive tasks run from a terminal (stdin and stdout); otherwise the
  task runs with stdin attached (piped input reaches it) and never waits
  for a terminal that is not there.
"""

from __future__ import annotations

from pathlib import Path

from emb.errors import CannotStart, UsageError
from emb.executors import Command, RunContext
from emb.model import Task


def command(task: Task, ctx: RunContext) -> Command:
    if task.script is None:
        raise UsageError(f"task {task.id} has no script")
    cwd = working_directory(task, ctx)
    if not cwd.is_dir():
        raise CannotStart(
            f"task {task.id} cannot run locally: folder {cwd} does not exist",
            ["check the component's rootDir and the task's workdir"],
        )
    monorepo = ctx.monorepo
    try:
        shown = cwd.relative_to(monorepo.root).as_posix()
    except ValueError:
        shown = str(cwd)
    shown = "the project root" if shown == "." else shown
    return Command(
        argv=("sh", "-c", task.script),
        env=dict(task.vars),
        cwd=cwd,
        tty=bool(task.interactive and ctx.stdin_tty and ctx.stdout_tty),
        where=f"in {shown}",
        details={"cwd": str(cwd)},
    )


def working_directory(task: Task, ctx: RunContext) -> Path:
    monorepo = ctx.monorepo
    if task.component is None:
        base = monorepo.root
    else:
        component = monorepo.components.get(task.component)
        if component is None:
            raise UsageError(f"task {task.id}: component {task.component} does not exist")
        base = component.root_dir
    return base / task.workdir if task.workdir else base
