"""`emb images [-a] [--json]`, `images delete [-f]`, `images prune [-a]`, `images push` (SPEC §5).

The project's images: `<project>/…` references on images labelled
`emb/project=<project>` (emb.flow.lifecycle says why both).
"""

from __future__ import annotations

import click

from emb.cli.common import Globals, pass_globals, table
from emb.cli.options import flavored
from emb.flow import lifecycle, publish
from emb.output import note, print_json


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.3g}{unit}"
        value /= 1000
    return f"{size}B"  # pragma: no cover


@click.group("images", invoke_without_command=True)
@click.option("-a", "--all", "all_images", is_flag=True, help="Also the project's untagged images.")
@click.option("--json", "as_json", is_flag=True, help="Print [{name, tag, imageId, created, size}].")
@flavored
@click.pass_context
def images(ctx: click.Context, all_images: bool, as_json: bool) -> int | None:
    """List the project's images (or delete, prune or push them: see the sub-commands)."""
    if ctx.invoked_subcommand is not None:
        return None
    g = ctx.find_object(Globals) or Globals()
    items = lifecycle.image_items(g.monorepo(), all_images)
    if as_json:
        print_json(items)
    else:
        click.echo(table(["NAME", "TAG", "IMAGE ID", "CREATED", "SIZE"],
                         [[i["name"], i["tag"], i["imageId"], i["created"], human_size(i["size"])]
                          for i in items]))
    return 0


@images.command("delete")
@click.option("-f", "--force", is_flag=True, help="Also images that containers still use.")
@click.option("--dry-run", is_flag=True, help="Print the docker command; delete nothing.")
@flavored
@pass_globals
def delete(g: Globals, force: bool, dry_run: bool) -> int:
    """Delete every `<project>/...` image reference of the project."""
    refs = lifecycle.delete_images(g.monorepo(), force=force, dry_run=dry_run)
    if not refs:
        note("emb: no image of this project to delete")
    return 0


@images.command("prune")
@click.option("-a", "--all", "all_images", is_flag=True, help="All unused images of the project, not only dangling ones.")
@click.option("--dry-run", is_flag=True, help="Print the docker command; delete nothing.")
@flavored
@pass_globals
def prune(g: Globals, all_images: bool, dry_run: bool) -> int:
    """Remove the project's dangling images (untagged, labelled emb/project)."""
    lifecycle.prune_images(g.monorepo(), all_images=all_images, dry_run=dry_run)
    return 0


@images.command("push")
@click.option("--registry", metavar="R", envvar="DOCKER_REGISTRY", show_envvar=True,
              help="Registry to push to (tag the images <R>/<project>/<image> first).")
@click.option("--retag", metavar="T", help="Push under this tag instead of the built one.")
@click.option("--dry-run", is_flag=True, help="Print the docker commands; push nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was pushed as JSON.")
@flavored
@pass_globals
def push(g: Globals, registry: str | None, retag: str | None, dry_run: bool, as_json: bool) -> int:
    """Push every image resource (deprecated in EMB 0.30: prefer `emb resources publish`)."""
    steps = publish.push_plan(g.monorepo(), registry or None, retag or None)
    return report(steps, dry_run=dry_run, as_json=as_json)


def report(steps, *, dry_run: bool, as_json: bool) -> int:
    """Run (or describe) publishing steps and print the outcome: shared with `resources publish`."""
    if not steps:
        note("emb: nothing to publish (no resource has publish: true)")
    if dry_run and not as_json:
        for line in publish.describe(steps, publish.credentials()):
            click.echo(line)
    results = publish.run(steps, dry_run=dry_run, quiet=as_json)
    if as_json:
        print_json(results)
    elif not dry_run and steps:
        note(f"emb: published {len(results)} image(s)")
    return 0
