"""`emb tasks`: list the tasks (table or --json); `emb tasks run` is `emb run`."""

from __future__ import annotations

import click

from emb.cli.common import pass_globals, table
from emb.output import print_json


class TasksGroup(click.Group):
    """Sub-commands are imported only when used: `run` is emb.cli.run's command."""

    def list_commands(self, ctx):
        return ["run"]

    def get_command(self, ctx, name):
        if name != "run":
            return None
        from emb.cli.run import run  # the command boundary: imported only when used

        return run


def declared_executors(task) -> str:
    """The executors as the configuration declares them (the allowed set is the runner's business)."""
    if task.executors:
        return ",".join(task.executors)
    return task.executor or "default"


def task_record(task) -> dict:
    return {
        "id": task.id,
        "name": task.name,
        "component": task.component,
        "description": task.description,
        "executors": list(task.executors) if task.executors else None,
        "executor": task.executor,
        "interactive": task.interactive,
        "pre": list(task.pre),
    }


@click.group(cls=TasksGroup, invoke_without_command=True, short_help="List the tasks of the monorepo.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of tasks.")
@click.pass_context
@pass_globals
def tasks(globals_, ctx: click.Context, as_json: bool):
    """List the tasks of the monorepo: NAME, COMPONENT, ID, EXECUTORS, DESCRIPTION.

    EXECUTORS is what the task declares (`executors`, else `executor`), or
    "default" when emb picks (see `emb run --help`)."""
    if ctx.invoked_subcommand is not None:
        return None
    monorepo = globals_.monorepo()
    if as_json:
        print_json([task_record(t) for t in monorepo.tasks.values()])
        return 0
    rows = [(t.name, t.component or "-", t.id, declared_executors(t), t.description or "")
            for t in monorepo.tasks.values()]
    if not rows:
        click.echo("no tasks (declare them under `tasks:` in .emb.yml or in a component)", err=True)
        return 0
    click.echo(table(["NAME", "COMPONENT", "ID", "EXECUTORS", "DESCRIPTION"], rows))
    return 0
