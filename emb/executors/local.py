"""The local executor: the script on this machine (SPEC §1, §3), through the
errexit launcher of emb.executors.script: `sh -c LAUNCHER emb SCRIPT ARG...`
(bash -e -o pipefail when this machine has bash, else sh -e).

- Working directory: the component's folder (the monorepo root for project
  tasks), or `workdir` resolved against it (an absolute `workdir` is used as is).
- Task `vars` are added to the environment of `sh` (values byte for byte:
  they never pass through a shell). Project `env` is already in emb's own
  environment (the config layer exports it), so the task inherits it.
"""

from __future__ import annotations

import os
from pathlib import Path

from emb.errors import CannotStart, UsageError
from emb.executors import RunContext
from emb.executors.script import script_argv
from emb.model import Component, Task
from emb.process.command import Command, RunResult


class LocalExecutor:
    name = "local"

    def __init__(self, ctx: RunContext):
        self.ctx = ctx

    def command(self, task: Task) -> Command:
        if task.script is None:
            raise UsageError(f"task {task.id} has no script")
        cwd = self.working_directory(task)
        if not cwd.is_dir():
            raise CannotStart(
                f"task {task.id} cannot run locally: folder {cwd} does not exist",
                ["check the component's rootDir and the task's workdir"],
            )
        return Command(
            argv=tuple(script_argv(task.script, self.ctx.task_args(task))),
            env=dict(task.vars),
            cwd=cwd,
            tty=self.ctx.use_tty(task.interactive),
            where=f"in {self._shown(cwd)}",
            details={"cwd": str(cwd)},
        )

    def after_failure(self, task: Task | None, result: RunResult) -> Command | None:
        return None  # sh's exit code is the task's own

    def shell_command(self, component: Component, shell: str | None) -> Command:
        program = shell or os.environ.get("SHELL") or "sh"
        return Command(argv=(program,), cwd=component.root_dir, tty=self.ctx.use_tty(True),
                       where=f"in {self._shown(component.root_dir)}")

    def working_directory(self, task: Task) -> Path:
        monorepo = self.ctx.monorepo
        if task.component is None:
            base = monorepo.root
        else:
            component = monorepo.components.get(task.component)
            if component is None:
                raise UsageError(f"task {task.id}: component {task.component} does not exist")
            base = component.root_dir
        return base / task.workdir if task.workdir else base

    def _shown(self, cwd: Path) -> str:
        try:
            shown = cwd.relative_to(self.ctx.monorepo.root).as_posix()
        except ValueError:
            return str(cwd)
        return "the project root" if shown == "." else shown
