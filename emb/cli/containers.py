"""`emb containers [-a] [--json]` and `emb containers prune`: the Compose project's
containers, found by the compose project label (SPEC §5)."""

from __future__ import annotations

import click

from emb.cli.common import Globals, pass_globals, table
from emb.cli.options import flavored
from emb.flow import lifecycle
from emb.output import note, print_json


@click.group("containers", invoke_without_command=True)
@click.option("-a", "--all", "all_containers", is_flag=True, help="Stopped containers too.")
@click.option("--json", "as_json", is_flag=True,
              help="Print [{id, name, image, command, created, status, ports, service}].")
@flavored
@click.pass_context
def containers(ctx: click.Context, all_containers: bool, as_json: bool) -> int | None:
    """List the project's containers (running ones; -a for all)."""
    if ctx.invoked_subcommand is not None:
        return None
    g = ctx.find_object(Globals) or Globals()
    items = lifecycle.container_items(g.monorepo(), all_containers)
    if as_json:
        print_json(items)
    else:
        click.echo(table(["CONTAINER ID", "NAME", "SERVICE", "IMAGE", "CREATED", "STATUS", "PORTS"],
                         [[i["id"], i["name"], i["service"] or "-", i["image"], i["created"], i["status"],
                           i["ports"]] for i in items]))
    return 0


@containers.command("prune")
@click.option("--dry-run", is_flag=True, help="List the stopped containers that would go; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the removed containers as JSON.")
@flavored
@pass_globals
def prune(g: Globals, dry_run: bool, as_json: bool) -> int:
    """Remove the project's stopped containers."""
    removed = lifecycle.prune_containers(g.monorepo(), dry_run=dry_run, quiet=as_json)
    if as_json:
        print_json(removed)
    elif dry_run:
        for c in removed:
            note(f"would remove {c['name']} ({c['id']})")
    return 0
