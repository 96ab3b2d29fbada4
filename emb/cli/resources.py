"""`emb resources` (list) and `emb resources build` (SPEC §6): options, then emb.flow.builds."""

from __future__ import annotations

import click

from emb.cli.common import Globals, pass_globals, table
from emb.cli.options import flavor_option
from emb.output import print_json

BUILD_HELP = """Build RESources (default: all) and the resources they depend on,
in dependency order, skipping those that are up to date.

\b
RES is a resource id (`api:image`) or a name unique in the monorepo.
Up to -j builds run at once (default: defaults.build.concurrency, else 1;
`auto`: the CPUs, at most 4); a resource starts once its dependencies are built.
A failure stops new builds (-k: only its dependents are skipped).

\b
Freshness (docker/image, strategy auto): rebuilt when the image is missing,
or when what the build is made from changed since emb last built it: the
files docker sends (the context minus .dockerignore), the Dockerfile, build
args, labels, target, platform, and the dependencies' image ids. --dry-run
prints each decision and its reason; -f builds anyway.

\b
Each build's output is logged to .emb/<flavor>/logs/docker/build/<reference>.log.
Exit status: 0; 1 when a build failed; 2 configuration error; 130 interrupted.
"""


def resource_record(monorepo, resource) -> dict:
    """EMB 0.30's item: the resource as declared, plus id, name, component, reference."""
    from emb import resources as res
    from emb.resources import params

    item = {"id": resource.id, "name": resource.name, "type": resource.type, "component": resource.component,
            "reference": res.reference(monorepo, resource), "params": dict(params.params(monorepo, resource)),
            "publish": resource.publish, "dependencies": list(resource.dependencies)}
    if resource.rebuild_trigger is not None:
        item["rebuildTrigger"] = dict(resource.rebuild_trigger)
    return item


class ResourcesGroup(click.Group):
    def list_commands(self, ctx):
        return ["build", "publish"]

    def get_command(self, ctx, name):
        if name == "publish":  # its module (and the publish flow) loads only when it runs
            from emb.cli.publish import publish

            return publish
        return super().get_command(ctx, name)


@click.group(cls=ResourcesGroup, invoke_without_command=True, short_help="List the resources emb builds.")
@click.option("--publishable", is_flag=True, help="Only the resources with `publish: true`.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (EMB 0.30's field names).")
@flavor_option
@click.pass_context
@pass_globals
def resources(g: Globals, ctx: click.Context, publishable: bool, as_json: bool, flavor: str | None):
    """List the resources: ID, NAME, TYPE, PUBLISHABLE, REFERENCE."""
    if flavor:
        g.flavor = flavor
    if ctx.invoked_subcommand is not None:
        return None
    from emb import redact

    monorepo = g.monorepo()
    items = [resource_record(monorepo, r) for r in monorepo.resources.values() if r.publish or not publishable]
    if as_json:
        print_json(redact.mask_data(items))
        return 0
    if not items:
        click.echo("no resources (declare them under a component's `resources:`)", err=True)
        return 0
    click.echo(table(["ID", "NAME", "TYPE", "PUBLISHABLE", "REFERENCE"],
                     [(i["id"], i["name"], i["type"], "yes" if i["publish"] else "no", i["reference"])
                      for i in items]))
    return 0


def jobs_option(func):
    return click.option("-j", "--jobs", metavar="N|auto",
                        help="Builds at once (default: defaults.build.concurrency, else 1).")(func)


@resources.command("build", help=BUILD_HELP, short_help="Build resources, dependencies first.")
@click.argument("refs", nargs=-1, metavar="[RES]...")
@click.option("--dry-run", is_flag=True, help="Print each decision and the command lines; build nothing.")
@click.option("-f", "--force", is_flag=True, help="Build even what is up to date.")
@click.option("--publishable", is_flag=True, help="Only the resources with `publish: true` (and their dependencies).")
@jobs_option
@click.option("-k", "--keep-going", is_flag=True, help="After a failure, go on with what does not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON map id -> build (EMB 0.30's field names).")
@flavor_option
@pass_globals
def build(g: Globals, refs, dry_run, force, publishable, jobs, keep_going, as_json, flavor):
    if flavor:
        g.flavor = flavor
    from emb.flow.builds import BuildFlow, Options

    options = Options(refs, dry_run=dry_run, force=force, publishable=publishable, jobs=jobs,
                      keep_going=keep_going, as_json=as_json)
    return BuildFlow(g.monorepo(), options).run()
