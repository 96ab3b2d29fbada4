"""Executors: where a task runs. Each turns a Task into a Command (pure, apart
from read-only lookups such as "which pod?"), and `emb.process` runs it.

One table, `EXECUTORS`, maps each executor name (emb.model.EXECUTOR_NAMES)
to its class; every class implements the whole `Executor` protocol, so
callers never probe for a method. An executor is made per invocation
(`create(name, ctx)`) and keeps whatever it learns during it (the pod it
chose, the pods that vanished) on itself. The table names modules rather
than importing them: a local run never loads the kubectl or Compose code.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple, Protocol

from emb.model import EXECUTOR_NAMES, Component, Monorepo, Task
from emb.process.command import Command, RunResult

# name -> "module:class"; the keys are exactly emb.model.EXECUTOR_NAMES.
EXECUTORS = {
    "local": "emb.executors.local:LocalExecutor",
    "container": "emb.executors.container:ContainerExecutor",
    "kubernetes": "emb.executors.kubernetes:KubernetesExecutor",
}
assert tuple(EXECUTORS) == EXECUTOR_NAMES


class RunContext(NamedTuple):
    """What an executor needs beyond the task: the monorepo and the CLI's choices."""

    monorepo: Monorepo
    namespace: str | None = None  # -n/--namespace as given on the command line
    context: str | None = None  # --context
    pod: str | None = None  # --pod
    stdin_tty: bool = False
    stdout_tty: bool = False
    args: tuple[str, ...] = ()  # `emb run TASK -- ARG...`
    args_for: frozenset = frozenset()  # ids of the tasks that get them (those named on the command line)
    container: str | None = None  # -c/--container (kubernetes)
    no_stdin: bool = False  # --no-stdin: the task never reads emb's stdin
    stdin_supplies: bool = False  # stdin is a pipe or a file (not a terminal, not /dev/null)
    wait: float | None = None  # --wait[=DURATION]: seconds to wait for a Ready pod (kubernetes)
    speculate: bool = False  # a real run (not --dry-run): the kubernetes executor may overlap lookup and exec

    def task_args(self, task: Task) -> tuple[str, ...]:
        """The arguments `task`'s script gets as "$@" (SPEC §3): those after `--`
        for the tasks named on the command line, none for their `pre` tasks."""
        return self.args if task.id in self.args_for else ()

    def use_tty(self, interactive: bool) -> bool:
        """The one TTY rule (SPEC §3): a pseudo-terminal only for interactive runs
        with stdin and stdout on a terminal; otherwise the run has stdin attached
        and never waits for a terminal that is not there."""
        return bool(interactive and self.stdin_tty and self.stdout_tty)


class Executor(Protocol):
    """What every executor implements, in full."""

    name: str

    def __init__(self, ctx: RunContext) -> None: ...

    def command(self, task: Task) -> Command:
        """The command line that runs `task`; raises EmbError when it cannot run."""

    def after_failure(self, task: Task | None, result: RunResult) -> Command | None:
        """After a run of this executor's Command failed: raise the EmbError that
        explains a failure of the tool itself (not of the task), return a fresh
        Command to try again, or None when the task's own exit code stands.
        `task` is None for a shell session."""

    def shell_command(self, component: Component, shell: str | None) -> Command:
        """An interactive shell in the component's target (`emb shell`, `emb kubernetes shell`)."""


def create(name: str, ctx: RunContext) -> Executor:
    """A fresh executor for this invocation."""
    module, cls = EXECUTORS[name].split(":")
    return getattr(importlib.import_module(module), cls)(ctx)
