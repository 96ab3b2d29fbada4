"""`emb resources publish [RES...] [--dry-run] [--json]` (SPEC §6 Publishing).

Kept in its own module so the `resources` group can add it in one line.
"""

from __future__ import annotations

import click

from emb.cli.common import Globals, pass_globals
from emb.cli.images import report
from emb.cli.options import flavor_option
from emb.flow import publish as publishing


@click.command("publish")
@click.argument("resources", nargs=-1, metavar="[RESOURCE]...")
@click.option("--dry-run", is_flag=True, help="Print the docker commands; tag and push nothing.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a map id -> {resource, reference, skipped?, skipReason?}.")
@flavor_option
@pass_globals
def publish(g: Globals, resources: tuple[str, ...], dry_run: bool, as_json: bool, flavor: str | None) -> int:
    """Tag and push the `publish: true` images (all, or those among RESOURCEs and their
    dependencies), in dependency order. Builds nothing: build first with
    `emb resources build`."""
    if flavor:
        g.flavor = flavor
    return report(publishing.plan(g.monorepo(), resources), dry_run=dry_run, as_json=as_json)
