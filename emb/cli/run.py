"""`emb run TASK...` (and its alias `emb tasks run`): plan, choose executors, run.

Kept thin: the planner orders the tasks, `emb.executors.choice` picks each
executor, the executor module builds a `Command`, `emb.process` runs it.
This module only wires them together and prints emb's own lines.
"""

from __future__ import annotations

import os
import sys
import time

import click

from emb.cli.common import Globals, note, pass_globals, style
from emb.errors import EmbError
from emb.model import EXECUTOR_NAMES

HELP = """Run TASKs and, first, the tasks they need (`pre`), each once.

\b
TASK is a task id (`api:migrate`, or `lint` for a project task) or a bare
name when only one task has it; -a runs every task with that name.

\b
Which executor: -x if given (it must be allowed for the task; tasks
pulled in by `pre` use it when they allow it, else their own), else the
task's `executor`, else the first usable one of its `executors`, else
`container` for a component that is a Compose service, else `local`.
-n/--namespace, --context and --pod are for the kubernetes executor and
ignored by the others.

\b
The task's stdout and stderr stream to emb's stdout and stderr; emb's own
lines (task, executor, where, result, duration) go to stderr (-q keeps only
failures). Each run is logged under .emb/<flavor|default>/logs/tasks/: one
file per run, and <task>.log links to the latest.

\b
--json: with --dry-run, the plan as one JSON document on stdout; on a real
run, emb's own lines become JSON Lines on stderr (stdout stays the task's).

\b
Exit status: 0; a failing task's own code (emb stops there); 2 usage or
configuration error; 125 a task cannot start; 130 interrupted (or a confirm
prompt was not confirmed).
"""


def complete_task(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Task ids and names for shell completion (errors mean: no suggestions)."""
    try:
        from click.shell_completion import CompletionItem

        from emb.config import load

        root_params = ctx.find_root().params
        monorepo = load(root=root_params.get("root"), flavor=ctx.params.get("flavor") or root_params.get("flavor"))
        words: dict[str, str] = {}
        for task in monorepo.tasks.values():
            words.setdefault(task.id, task.description or "")
            words.setdefault(task.name, task.description or "")
        # bash splits words at ':' (COMP_WORDBREAKS): `api:mi` arrives as
        # `api`, `:`, `mi`, and only the text after the break may be returned.
        typed = list(ctx.params.get("tasks") or ())
        head = ""
        if os.environ.get("_EMB_COMPLETE", "").startswith("bash"):
            if incomplete.startswith(":") and typed:
                head = typed[-1]
            elif len(typed) >= 2 and typed[-1] == ":":
                head = typed[-2] + ":"
        full = head + incomplete
        return [
            CompletionItem(word[len(head):], help=help_text)
            for word, help_text in words.items()
            if word.startswith(full)
        ]
    except Exception:  # completion must never print a traceback into the shell
        return []


@click.command("run", help=HELP, short_help="Run tasks (and their `pre` tasks) on an executor.")
@click.argument("tasks", nargs=-1, required=True, metavar="TASK...", shell_complete=complete_task)
@click.option("-x", "--executor", type=click.Choice(EXECUTOR_NAMES), help="Run on this executor.")
@click.option("-a", "--all-matching", is_flag=True, help="Run every task a bare name matches.")
@click.option("--dry-run", is_flag=True, help="Print the command lines instead of running them.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see above).")
@click.option("-q", "--quiet", is_flag=True, help="Of emb's own lines, print only failures.")
@click.option("-n", "--namespace", metavar="NS", help="Kubernetes namespace.")
@click.option("--context", "kube_context", metavar="NAME", help="kubeconfig context.")
@click.option("--pod", metavar="NAME", help="Kubernetes pod to run in (instead of the first Ready one).")
@click.option("--flavor", metavar="NAME", help="Same as `emb --flavor NAME`.")
@pass_globals
def run(
    g: Globals,
    tasks: tuple[str, ...],
    executor: str | None,
    all_matching: bool,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
    namespace: str | None,
    kube_context: str | None,
    pod: str | None,
    flavor: str | None,
) -> int:
    if flavor:
        g.flavor = flavor
    options = Options(
        refs=list(tasks),
        executor=executor,
        all_matching=all_matching,
        dry_run=dry_run,
        as_json=as_json,
        quiet=quiet,
        namespace=namespace,
        kube_context=kube_context,
        pod=pod,
    )
    try:
        return RunFlow(g, options).run()
    except EmbError as err:
        if not as_json:
            raise
        report_error(err)
        return err.exit_code


# --------------------------------------------------------------------------- the flow


MAX_ATTEMPTS = 3  # first run + retries an executor may ask for


class Options:
    """What the command line asked for (plain class: a dataclass costs start-up time)."""

    def __init__(self, refs: list[str], executor: str | None = None, all_matching: bool = False,
                 dry_run: bool = False, as_json: bool = False, quiet: bool = False,
                 namespace: str | None = None, kube_context: str | None = None, pod: str | None = None):
        self.refs = refs
        self.executor = executor
        self.all_matching = all_matching
        self.dry_run = dry_run
        self.as_json = as_json
        self.quiet = quiet
        self.namespace = namespace
        self.kube_context = kube_context
        self.pod = pod


class Step:
    """One planned task and its executor (None: only `pre` tasks, nothing of its own to run)."""

    def __init__(self, task, executor: str | None):
        self.task = task
        self.executor = executor


class RunFlow:
    def __init__(self, g: Globals, options: Options):
        self.g = g
        self.o = options
        self.report = Reporter(as_json=options.as_json, quiet=options.quiet)

    def run(self) -> int:
        from emb.executors import RunContext
        from emb.planner import plan, resolve_reference

        monorepo = self.g.monorepo()
        tasks = plan(monorepo, self.o.refs, self.o.all_matching)
        requested = {i for ref in self.o.refs for i in resolve_reference(monorepo, ref, self.o.all_matching)}
        ctx = RunContext(
            monorepo=monorepo,
            namespace=self.o.namespace,
            context=self.o.kube_context,
            pod=self.o.pod,
            stdin_tty=os.isatty(0),
            stdout_tty=os.isatty(1),
            dry_run=self.o.dry_run,
        )
        steps = choose_executors(monorepo, tasks, requested, self.o.executor)
        if self.o.dry_run:
            return self.print_plan(steps, ctx)
        if any(step.task.confirm is not None for step in steps):
            from emb import confirm

            # A prompt that cannot be asked fails the run before anything runs.
            for step in steps:
                if step.executor is not None:
                    confirm.require_terminal(step.task, ctx.stdin_tty)
        for step in steps:
            code = self.run_step(step, ctx)
            if code != 0:
                return code
        return 0

    def run_step(self, step: Step, ctx) -> int:
        from emb import executors, process

        task = step.task
        if step.executor is None:
            self.report.skip(task)
            return 0
        module = executors.get(step.executor)
        cmd = module.command(task, ctx)
        if task.confirm is not None:
            from emb import confirm

            confirm.ask(task, stdin_tty=ctx.stdin_tty, where=cmd.where)
        log_path = process.log_path_for(ctx.monorepo, task.id)
        self.report.start(task, step.executor, cmd)
        result = process.run(cmd, log_path=log_path)
        # An executor may explain a failure (raise) or ask for another attempt
        # (return a fresh Command, e.g. the pod vanished before the exec
        # started). It decides when to stop; MAX_ATTEMPTS is only a backstop.
        retry_command = getattr(module, "retry_command", None)
        attempts = 1
        while result.exit_code != 0 and not result.interrupted and retry_command is not None:
            retry = retry_command(task, ctx, result)
            if retry is None or attempts >= MAX_ATTEMPTS:
                break
            attempts += 1
            self.report.retry(task, retry)
            spent = result.duration
            result = process.run(retry, log_path=log_path)
            result = result._replace(duration=spent + result.duration)
        self.report.end(task, result)
        return result.exit_code

    def print_plan(self, steps: list[Step], ctx) -> int:
        from emb import executors

        items = []
        for step in steps:
            task = step.task
            cmd = None if step.executor is None else executors.get(step.executor).command(task, ctx)
            items.append(plan_item(task, step.executor, cmd))
        if self.o.as_json:
            from emb.cli.common import print_json

            print_json({"dry_run": True, "tasks": items})
        else:
            for number, item in enumerate(items, 1):
                click.echo(plan_text(item, number, len(items)))
        return 0


def choose_executors(monorepo, tasks, requested: set[str], executor: str | None) -> list[Step]:
    """Each task's executor; Docker is asked about Compose services only if a choice needs it."""
    from emb.executors.choice import choose_executor, choose_for_pre_task

    services: list[frozenset] = []

    def compose_services() -> frozenset:
        if not services:
            from emb.compose import compose_services as lookup

            services.append(lookup(monorepo))
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


# --------------------------------------------------------------------------- dry run


def command_line(cmd) -> str:
    """The runnable line for a Command: `env K=V ... ARGV` when it adds environment variables."""
    import shlex

    if not cmd.env:
        return cmd.shell_line()
    assignments = " ".join(f"{shlex.quote(k)}={shlex.quote(v)}" for k, v in cmd.env.items())
    return f"env {assignments} {cmd.shell_line()}"


def plan_item(task, executor: str | None, cmd) -> dict:
    item = {"id": task.id, "executor": executor}
    if cmd is None:
        item.update(argv=None, env={}, cwd=None, tty=False, where="", details={}, command=None)
    else:
        item.update(
            argv=list(cmd.argv),
            env=dict(cmd.env),
            cwd=None if cmd.cwd is None else str(cmd.cwd),
            tty=cmd.tty,
            where=cmd.where,
            details=dict(cmd.details),
            command=command_line(cmd),
        )
    item["confirm"] = None
    if task.confirm is not None and cmd is not None:
        from emb.confirm import expanded

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
    return "\n".join(lines)


# --------------------------------------------------------------------------- emb's own lines


class Reporter:
    """emb's progress lines on stderr: text (colour on a terminal) or JSON Lines."""

    def __init__(self, as_json: bool, quiet: bool):
        self.as_json = as_json
        self.quiet = quiet

    def _emit(self, event: dict, text: str, always: bool = False) -> None:
        if self.quiet and not always:
            return
        if self.as_json:
            import json

            note(json.dumps(event))
        else:
            note(text)

    def start(self, task, executor: str, cmd) -> None:
        where = f", {cmd.where}" if cmd.where else ""
        self._emit(
            {"event": "start", "task": task.id, "executor": executor, "where": cmd.where,
             "argv": list(cmd.argv), "tty": cmd.tty, "time": time.time()},
            f"{_prefix()} running {_bold(task.id)} ({executor}{where})",
        )

    def retry(self, task, cmd) -> None:
        self._emit(
            {"event": "retry", "task": task.id, "where": cmd.where, "argv": list(cmd.argv)},
            f"{_prefix()} retrying {_bold(task.id)}" + (f" ({cmd.where})" if cmd.where else ""),
        )

    def skip(self, task) -> None:
        self._emit(
            {"event": "skip", "task": task.id, "reason": "only pre tasks"},
            f"{_prefix()} {_bold(task.id)}: nothing of its own to run",
        )

    def end(self, task, result) -> None:
        log = _display_path(result.log_path)
        event = {"event": "end", "task": task.id, "ok": result.exit_code == 0, "exit_code": result.exit_code,
                 "interrupted": result.interrupted, "duration": round(result.duration, 3), "log": str(result.log_path)}
        took = _duration(result.duration)
        if result.exit_code == 0:
            self._emit(event, f"{_prefix()} {_bold(task.id)} {style('done', sys.stderr, fg='green')} in {took}")
        elif result.interrupted:
            self._emit(event, f"{_prefix()} {_bold(task.id)} {style('interrupted', sys.stderr, fg='yellow')} after {took} (log: {log})", always=True)
        else:
            failed = style(f"failed with exit code {result.exit_code}", sys.stderr, fg="red", bold=True)
            self._emit(event, f"{_prefix()} {_bold(task.id)} {failed} after {took} (log: {log})", always=True)


def report_error(err: EmbError) -> None:
    import json

    note(json.dumps({"event": "error", "message": err.message, "hints": list(err.hints), "exit_code": err.exit_code}))


def _prefix() -> str:
    return style("emb:", sys.stderr, fg="cyan")


def _bold(text: str) -> str:
    return style(text, sys.stderr, bold=True)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"  # "0.00s" told nothing about a fast task
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def _display_path(path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)

