"""`emb up`, `emb down`, `emb ps`, `emb logs`, `emb shell`: the Compose project of the monorepo.

Each runs the Compose CLI in the monorepo root (emb.docker.compose), so the user's
COMPOSE_* settings, override files and `.env` apply as for `docker compose`.
A COMPONENT argument names a Compose service; an unknown one is an error
listing the services.
"""

from __future__ import annotations

import sys

import click

from emb.cli.common import Globals, pass_globals, table
from emb.docker import compose
from emb.executors import RunContext
from emb.flow.shell import open_shell
from emb.model import Component
from emb.output import print_json


def _services_or_error(monorepo, names) -> None:
    for name in names:
        compose.require_service(monorepo, name)


def _require_compose_file(monorepo) -> None:
    compose.compose_argv()  # no CLI: the clearer error comes first
    if not compose.compose_file_applies(monorepo.root):
        raise compose.no_compose_file_error(monorepo)


@click.command("up")
@click.argument("components", nargs=-1, metavar="[COMPONENT]...")
@click.option("--build", is_flag=True, help="Also let Compose build the images it builds itself.")
@click.option("-f", "--force", is_flag=True, help="Rebuild the resources and recreate the containers.")
@click.option("-j", "--jobs", metavar="N|auto", help="Resource builds at once (see `emb resources build`).")
@click.option("-k", "--keep-going", is_flag=True, help="After a failed build, go on with the others.")
@pass_globals
def up(g: Globals, components: tuple[str, ...], build: bool, force: bool, jobs: str | None,
       keep_going: bool) -> int:
    """Build the resources (all, or the COMPONENTs' and what they need), then start
    the Compose services (all, or the COMPONENTs named), detached."""
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    _services_or_error(monorepo, components)
    ids = [r for name in components for r in getattr(monorepo.components.get(name), "resources", ())] \
        if components else list(monorepo.resources)
    if ids:
        from emb.flow.builds import BuildFlow, Options  # the build flow loads only when there is one

        code = BuildFlow(monorepo, Options(ids=ids, force=force, jobs=jobs, keep_going=keep_going)).run()
        if code != 0:
            return code
    return compose.stream_compose(monorepo, ["up", "-d", *(["--build"] if build else []),
                                             *(["--force-recreate"] if force else []), *components])


@click.command("down")
@click.option("-v", "--volumes", is_flag=True, help="Also remove the project's named volumes.")
@pass_globals
def down(g: Globals, volumes: bool) -> int:
    """Stop and remove the Compose project's containers and networks."""
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    return compose.stream_compose(monorepo, ["down", *(["--volumes"] if volumes else [])])


@click.command("ps")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_globals
def ps(g: Globals, as_json: bool) -> int:
    """List the Compose services and the state of their containers."""
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    rows = service_rows(compose.compose_services(monorepo), compose.containers(monorepo))
    if as_json:
        print_json(rows)
    else:
        click.echo(table(
            ["SERVICE", "STATE", "CONTAINER", "STATUS", "PORTS"],
            [[r["service"], r["state"], r["container"] or "-", r["status"] or "-", r["ports"]] for r in rows],
        ))
    return 0


def service_rows(services, containers: list[dict]) -> list[dict]:
    """One row per container, plus one per service that has none yet ("not created")."""
    rows = []
    seen = set()
    for c in sorted(containers, key=lambda c: (c.get("Service", ""), c.get("Name", ""))):
        service = c.get("Service", "")
        seen.add(service)
        rows.append({
            "service": service,
            "state": c.get("State", ""),
            "container": c.get("Name") or c.get("Names") or None,
            "status": c.get("Status") or None,
            "ports": c.get("Ports") or "",
        })
    for service in sorted(set(services) - seen):
        rows.append({"service": service, "state": "not created", "container": None, "status": None, "ports": ""})
    rows.sort(key=lambda r: r["service"])
    return rows


@click.command("logs")
@click.argument("component")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output.")
@click.option("--tail", metavar="N", help="Only the last N lines of each container.")
@pass_globals
def logs(g: Globals, component: str, follow: bool, tail: str | None) -> int:
    """Show a Compose service's logs."""
    monorepo = g.monorepo()
    compose.require_service(monorepo, component)
    args = ["logs", *(["--follow"] if follow else []), *(["--tail", tail] if tail else []), component]
    return compose.stream_compose(monorepo, args)


@click.command("shell")
@click.argument("component")
@click.option("-s", "--shell", "shell", default="sh", show_default=True, help="The shell to start.")
@pass_globals
def shell(g: Globals, component: str, shell: str) -> int:
    """Open an interactive shell in a Compose service's container."""
    monorepo = g.monorepo()
    # A Compose service need not be a component: `emb shell db` opens a shell in db.
    target = monorepo.components.get(component) or Component(name=component, root_dir=monorepo.root, rel_dir=".")
    ctx = RunContext(monorepo, stdin_tty=sys.stdin.isatty(), stdout_tty=sys.stdout.isatty())
    return open_shell("container", ctx, target, shell)
