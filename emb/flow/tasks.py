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
from emb.errors import EXIT_TIMEOUT, UsageError
from emb.output import note, print_json
from emb.process.logs import log_path_for

MAX_ATTEMPTS = 3  # first run + retries an executor may ask for


class Options:
    """What the command line asked for (plain class: a dataclass costs start-up time)."""

    def __init__(self, refs: list[str], executor: str | None = None, all_matching: bool = False,
                 dry_run: bool = False, as_json: bool = False, quiet: bool = False,
                 namespace: str | None = None, kube_context: str | None = None, pod: str | None = None,
                 container: str | None = None, no_stdin: bool = False, timeout: float | None = None,
                 args: tuple[str, ...] = (), all_pods: bool = False, wait: float | None = None):
        self.refs = refs
        self.executor = executor
        self.all_matching = all_matching
        self.dry_run = dry_run
        self.as_json = as_json
        self.quiet = quiet
        self.namespace = namespace
        self.kube_context = kube_context
        self.pod = pod
        self.container = container  # -c/--container (kubernetes)
        self.no_stdin = no_stdin
        self.timeout = timeout  # --timeout, seconds for the whole task
        self.args = tuple(args)
        self.all_pods = all_pods  # --all-pods (kubernetes): the task in every Ready pod
        self.wait = wait  # --wait[=DURATION] (kubernetes), seconds


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
            container=options.container,
            no_stdin=options.no_stdin,
            stdin_supplies=stdin_supplies(),
            wait=options.wait,
            speculate=not options.dry_run and not options.all_pods,
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
        self.requested = requested
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
        if self.o.all_pods and not any(s.executor == "kubernetes" for s in steps if s.task.id in requested):
            raise UsageError("--all-pods is for tasks on the kubernetes executor (-x kubernetes)")
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
        if self.o.all_pods and task.id in self.requested:
            return self.run_in_all_pods(step, executor)
        cmd = executor.command(task)
        if not step.confirmed:
            confirm.ask(task, stdin_tty=self.ctx.stdin_tty, where=cmd.where)
        log_path = log_path_for(self.monorepo, task.id)
        self.report.start(task, step.executor, cmd)
        with deadline(self.o.timeout) as expired:
            result = process.run(cmd, log_path=log_path)
        if result.interrupted and step.executor == "kubernetes":
            # A kubelet does not stop the remote command when kubectl goes: emb does.
            executor.stop_remote(task)
        if expired():
            self.report.end(task, result._replace(exit_code=EXIT_TIMEOUT, interrupted=False))
            note(f"emb: {task.id} stopped after --timeout ({self.o.timeout:g} s)")
            return EXIT_TIMEOUT
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

    def run_in_all_pods(self, step: Step, executor) -> int:
        """--all-pods: the task in every Ready pod of its component, one after another;
        a summary; the exit status is the first failure's."""
        task = step.task
        if step.executor != "kubernetes":
            raise UsageError(f"--all-pods is for the kubernetes executor; task {task.id} runs on {step.executor}")
        commands = executor.all_pod_commands(task)
        confirm.ask(task, stdin_tty=self.ctx.stdin_tty, where=f"{len(commands)} pods")
        log_path = log_path_for(self.monorepo, task.id)
        failed: list[tuple[str, int]] = []
        for index, cmd in enumerate(commands):
            executor.select(task, index)
            self.report.start(task, step.executor, cmd)
            with deadline(self.o.timeout) as expired:
                result = process.run(cmd, log_path=log_path)
            if result.interrupted:
                executor.stop_remote(task)
            if expired():
                result = result._replace(exit_code=EXIT_TIMEOUT, interrupted=False)
            if result.exit_code != 0 and not result.interrupted:
                executor.after_failure(task, result)  # raises when kubectl itself failed
            self.report.end(task, result)
            if result.exit_code != 0:
                failed.append((cmd.details.get("pod", "?"), result.exit_code))
            if result.interrupted:
                break
        ok = len(commands) - len(failed)
        summary = f"emb: {task.id}: {ok} of {len(commands)} pods succeeded"
        if failed:
            summary += " (failed: " + ", ".join(f"{pod} exit {code}" for pod, code in failed) + ")"
        note(summary)
        return failed[0][1] if failed else 0

    def print_plan(self, steps: list[Step]) -> int:
        items = []
        for step in steps:
            task = step.task
            if self.o.all_pods and step.executor == "kubernetes" and task.id in self.requested:
                items.extend(plan_item(task, step.executor, cmd)
                             for cmd in self.executor(step.executor).all_pod_commands(task))
                continue
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


def stdin_supplies() -> bool:
    """Can emb's stdin supply input (a pipe or a file), as opposed to a terminal,
    /dev/null (or another character device) or a closed fd?"""
    import stat

    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


class deadline:
    """`--timeout`: after `seconds`, emb sends itself SIGINT, which the runner
    forwards to the task (and the flow then stops its remote command) exactly as
    for Ctrl+C; `expired()` says whether that is why the run ended."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.fired = False

    def _fire(self, signum, frame):
        import signal

        self.fired = True
        os.kill(os.getpid(), signal.SIGINT)

    def __enter__(self):
        if self.seconds:
            import signal

            self._old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return lambda: self.fired

    def __exit__(self, *exc):
        if self.seconds:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old)
        return False
