"""`emb components`: name, folder, Compose service?, how its pods are found."""

from __future__ import annotations

import click

from emb.cli.common import pass_globals, table
from emb.docker.compose import compose_services
from emb.model import pod_source
from emb.output import print_json


def kubernetes_target(component, settings) -> dict:
    kind, value = pod_source(component, settings)
    record = {kind: value}
    if component.kubernetes.container:
        record["container"] = component.kubernetes.container
    return record


def kubernetes_text(target: dict) -> str:
    kind = next((k for k in ("deployment", "statefulset", "daemonset") if k in target), None)
    text = f"{kind}/{target[kind]}" if kind else f"-l {target['selector']}"
    return text + (f" -c {target['container']}" if "container" in target else "")


class ComponentsGroup(click.Group):
    """`emb components shell` is `emb shell` (EMB 0.30's name), imported only when used."""

    def list_commands(self, ctx):
        return ["shell"]

    def get_command(self, ctx, name):
        if name != "shell":
            return None
        from emb.cli.compose import shell  # the command boundary: imported only when used

        return shell


@click.group(cls=ComponentsGroup, invoke_without_command=True, short_help="List the components of the monorepo.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of components.")
@click.pass_context
@pass_globals
def components(globals_, ctx: click.Context, as_json: bool):
    """List the components: NAME, FOLDER, COMPOSE (is it a Compose service?),
    KUBERNETES (the Deployment or label selector its pods are found by, and
    the container when set). `emb components shell COMPONENT` is `emb shell`."""
    if ctx.invoked_subcommand is not None:
        return None
    monorepo = globals_.monorepo()
    services = compose_services(monorepo) if monorepo.components else frozenset()
    settings = monorepo.kubernetes
    records = []
    for c in monorepo.components.values():
        records.append({
            "name": c.name,
            "folder": c.rel_dir,
            "path": str(c.root_dir),
            "description": c.description,
            "compose_service": c.name in services,
            "kubernetes": kubernetes_target(c, settings),
            "tasks": list(c.tasks),
        })
    if as_json:
        print_json(records)
        return 0
    if not records:
        click.echo("no components (declare them under `components:`, or use the autodocker/embfiles plugins)",
                   err=True)
        return 0
    rows = [(r["name"], r["folder"], "yes" if r["compose_service"] else "no", kubernetes_text(r["kubernetes"]))
            for r in records]
    click.echo(table(["NAME", "FOLDER", "COMPOSE", "KUBERNETES"], rows))
    return 0
