"""`emb run`: the task run flow.

plan (emb.planner) -> each task's executor (emb.executors.choice) -> the
executor's Command -> confirm -> emb.process.run -> the executor explains a
failure or asks for another attempt -> report.
"""

from __future__ import annotations

import os

import click

from emb import executors, planner, process, redact
from emb import resources as res
from emb.config.secrets import secrets_of
from emb.config.values import resolve_task
from emb.docker import compose
from emb.executors.choice import choose_executor, choose_for_pre_task
from emb.flow import confirm
from emb.flow.report import Reporter, plan_item, plan_text
from emb.model import Monorepo, Task
from emb.output import print_json
from emb.process.logs import log_path_for

MAX_ATTEMPTS = 3  # first run + retries an executor may ask for


class Options:
    """What the command line asked for (plain class: a dataclass costs start-up time)."""

    def __init__(self, refs: list[str], executor: str | None = None, all_matching: bool = False,
                 dry_run: bool = False, as_json: bool = False, quiet: bool = False,
                 namespace: str | None = None, kube_context: str | None = None, pod: str | None = None,
                 args: tuple[str, ...] | list[str] = ()):
        self.refs = refs
        self.executor = executor
        self.all_matching = all_matching
        self.dry_run = dry_run
        self.as_json = as_json
        self.quiet = quiet
        self.namespace = namespace
        self.kube_context = kube_context
        self.pod = pod
        self.args = tuple(args)  # after `--`: the requested tasks' "$@"


class Step:
    """One planned task and its executor (None: only `pre` tasks, nothing of its own to run)."""

    def __init__(self, task: Task, executor: str | None):
        self.task = task
        self.executor = executor
        self.confirmed = False  # its confirm was answered before the run started


class RunFlow:
    def __init__(self, monorepo: Monorepo, options: Options):
        self.monorepo = monorepo
        self.o = options
        self.report = Reporter(as_json=options.as_json, quiet=options.quiet)
        self.ctx = executors.RunContext(
            monorepo=monorepo,
            namespace=options.namespace,
            context=options.kube_context,
            pod=options.pod,
            stdin_tty=os.isatty(0),
            stdout_tty=os.isatty(1),
            args=options.args,
        )
        self._executors: dict[str, executors.Executor] = {}

    def executor(self, name: str) -> executors.Executor:
        """One executor of each kind per invocation: it keeps what it learnt."""
        if name not in self._executors:
            self._executors[name] = executors.create(name, self.ctx)
        return self._executors[name]

    def run(self) -> int:
        monorepo = self.monorepo
        tasks = planner.plan(monorepo, self.o.refs, self.o.all_matching)
        requested = {i for ref in self.o.refs for i in planner.resolve_reference(monorepo, ref, self.o.all_matching)}
        self.ctx = self.ctx._replace(args_for=frozenset(requested) if self.o.args else frozenset())
        steps = choose_executors(monorepo, tasks, requested, self.o.executor)
        # Values are expanded now, for the tasks of this run only (SPEC §1: lazily): an
        # unset variable stops the run before anything ran.
        if self.o.dry_run:  # shows *** for every secret, reads none (emb secrets validate does)
            secrets_of(monorepo).masked = True
        for step in steps:
            step.task = resolve_task(monorepo, step.task)
        if self.o.dry_run:
            return self.print_plan(steps)
        if not self.ctx.stdin_tty:
            # Answers come from a pipe or a file: read them all before anything runs, so
            # that the end of the input stops the run with nothing done.
            for step in steps:
                if step.executor is not None and step.task.confirm is not None:
                    confirm.ask(step.task, stdin_tty=False)
                    step.confirmed = True
        code = self.build_dependencies(steps)
        if code != 0:
            return code
        for step in steps:
            code = self.run_step(step)
            if code != 0:
                return code
        return 0

    def build_dependencies(self, steps: list[Step]) -> int:
        """The resources the tasks' `dependencies` name, built (if not fresh) before any task runs."""
        needed = res.task_resources(self.monorepo, [s.task for s in steps if s.executor is not None])
        if not needed:
            return 0
        # The build flow (threads, docker lookups) loads only for tasks that need it:
        # a plain `emb run` stays quick.
        from emb.flow.builds import BuildFlow, Options as BuildOptions

        return BuildFlow(self.monorepo, BuildOptions(ids=needed)).run()

    def run_step(self, step: Step) -> int:
        task = step.task
        if step.executor is None:
            self.report.skip(task)
            return 0
        executor = self.executor(step.executor)
        cmd = executor.command(task)
        if not step.confirmed:
            confirm.ask(task, stdin_tty=self.ctx.stdin_tty, where=cmd.where)
        log_path = log_path_for(self.monorepo, task.id)
        self.report.start(task, step.executor, cmd)
        result = process.run(cmd, log_path=log_path)
        # The executor may explain a failure (raise) or ask for another attempt
        # (return a fresh Command, e.g. the pod vanished before the exec
        # started). It decides when to stop; MAX_ATTEMPTS is only a backstop.
        attempts = 1
        while result.exit_code != 0 and not result.interrupted:
            retry = executor.after_failure(task, result)
            if retry is None or attempts >= MAX_ATTEMPTS:
                break
            attempts += 1
            self.report.retry(task, retry)
            spent = result.duration
            result = process.run(retry, log_path=log_path)
            result = result._replace(duration=spent + result.duration)
        # A secret the task printed is not kept in its log (.emb/ never holds one).
        redact.mask_file(log_path)
        self.report.end(task, result)
        return result.exit_code

    def print_plan(self, steps: list[Step]) -> int:
        items = []
        for step in steps:
            task = step.task
            cmd = None if step.executor is None else self.executor(step.executor).command(task)
            items.append(plan_item(task, step.executor, cmd))
        if self.o.as_json:
            print_json({"dry_run": True, "tasks": items})
        else:
            for number, item in enumerate(items, 1):
                click.echo(plan_text(item, number, len(items)))
        return 0


def choose_executors(monorepo: Monorepo, tasks: list[Task], requested: set[str], executor: str | None) -> list[Step]:
    """Each task's executor; Docker is asked about Compose services only if a choice needs it."""
    services: list[frozenset] = []

    def compose_services() -> frozenset:
        if not services:
            services.append(compose.compose_services(monorepo))
        return services[0]

    steps = []
    for task in tasks:
        if task.script is None:
            steps.append(Step(task, None))
            continue
        is_service = (lambda c=task.component: c in compose_services()) if task.component else False
        choose = choose_executor if task.id in requested else choose_for_pre_task
        steps.append(Step(task, choose(task, executor, is_service)))
    return steps
