"""`emb run TASK...` (and its alias `emb tasks run`): options, then emb.flow.tasks."""

from __future__ import annotations

import click

from emb.cli.common import Globals, pass_globals
from emb.cli.options import complete_task, context_option, flavor_option, namespace_option
from emb.errors import EmbError
from emb.flow.report import report_error
from emb.flow.tasks import Options, RunFlow
from emb.model import EXECUTOR_NAMES

HELP = """Run TASKs and, first, the tasks they need (`pre`), each once.

\b
TASK is a task id (`api:migrate`, or `lint` for a project task) or a bare
name when only one task has it; -a runs every task with that name.

\b
`emb run TASK -- ARG...` passes the ARGs to the script as "$@" (to the
tasks named on the command line, not to their `pre` tasks). `emb TASK` is
`emb run TASK` when no emb command has that name.

\b
Scripts run with errexit: under `bash -e -o pipefail` when the target has
bash, else `sh -e` (decided on the target; --dry-run shows the launcher).

\b
Which executor: -x if given (it must be allowed for the task; tasks
pulled in by `pre` use it when they allow it, else their own), else the
task's `executor`, else the first usable one of its `executors`, else
`container` for a component that is a Compose service, else `local`.
-n/--namespace, --context, --pod and -c/--container are for the
kubernetes executor and ignored by the others. --pod takes a pod name or a
unique prefix of one.

\b
The task's stdout and stderr stream to emb's stdout and stderr; emb's own
lines (task, executor, where, result, duration) go to stderr (-q keeps only
failures). Each run is logged under .emb/<flavor|default>/logs/tasks/: one
file per run, and <task>.log links to the latest.

\b
--json: with --dry-run, the plan as one JSON document on stdout; on a real
run, emb's own lines become JSON Lines on stderr (stdout stays the task's).

\b
stdin: the task reads emb's stdin when it is a pipe or a file (kubectl
exec -i); not a terminal (unless the task is interactive), not /dev/null.
--no-stdin never passes it: `... | while read x; do emb run --no-stdin t; done`.


Exit status: 0; a failing task's own code (emb stops there); 2 usage or
configuration error; 124 --timeout stopped it; 125 a task cannot start;
130 interrupted (or a confirm prompt was not confirmed); 255 the connection
to the pod was lost after the task started (outcome unknown).
"""


class RunCommand(click.Command):
    """`emb run TASK... [-- ARG...]`: what follows `--` is the tasks' "$@", never options or tasks."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[TASK_ARGS] = tuple(args[cut + 1:])
            args = args[:cut]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, "[OPTIONS] TASK... [-- ARG...]")


TASK_ARGS = "emb.task_args"


@click.command("run", cls=RunCommand, help=HELP, short_help="Run tasks (and their `pre` tasks) on an executor.")
@click.argument("tasks", nargs=-1, required=True, metavar="TASK...", shell_complete=complete_task)
@click.option("-x", "--executor", type=click.Choice(EXECUTOR_NAMES), help="Run on this executor.")
@click.option("-a", "--all-matching", is_flag=True, help="Run every task a bare name matches.")
@click.option("--dry-run", is_flag=True, help="Print the command lines instead of running them.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see above).")
@click.option("-q", "--quiet", is_flag=True, help="Of emb's own lines, print only failures.")
@namespace_option()
@context_option()
@click.option("--pod", metavar="NAME", help="Kubernetes pod to run in (a name or unique prefix).")
@click.option("-c", "--container", metavar="NAME", help="Container of the pod (init, sidecar, ephemeral too).")
@click.option("--no-stdin", is_flag=True, help="Never pass emb's stdin to the task.")
@click.option("--all-pods", is_flag=True, help="Kubernetes: run the task in every Ready pod, one after another.")
@click.option("--wait", "wait", is_flag=False, flag_value="5m", default=None, metavar="[=DURATION]",
              callback=lambda c, p, v: _duration(v),
              help="Kubernetes: wait for a Ready pod (default 5m).")
@click.option("--timeout", metavar="DURATION", callback=lambda c, p, v: _duration(v),
              help="Stop the task after DURATION (e.g. 90s, 5m, 1h30m): exit 124.")
@flavor_option
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
    container: str | None,
    no_stdin: bool,
    all_pods: bool,
    wait: float | None,
    timeout: float | None,
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
        container=container,
        no_stdin=no_stdin,
        timeout=timeout,
        all_pods=all_pods,
        wait=wait,
        args=click.get_current_context().meta.get(TASK_ARGS, ()),
    )
    try:
        return RunFlow(g.monorepo(), options).run()
    except EmbError as err:
        if not as_json:
            raise
        report_error(err)
        return err.exit_code


def _duration(value: str | None) -> float | None:
    """--timeout as kubectl reads durations (Go: 300s, 5m, 1h30m; a bare number is seconds)."""
    if value is None:
        return None
    from emb.kube.target import duration_seconds, is_duration

    text = value.strip()
    if not (is_duration(text) or text.replace(".", "", 1).isdigit()) or duration_seconds(text) <= 0:
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 90s, 5m, 1h30m)")
    return duration_seconds(text)
