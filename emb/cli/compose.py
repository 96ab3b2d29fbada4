"""`emb up/down/start/stop/restart/ps/logs/logs archive/shell/clean`: the Compose project (SPEC §5).

Each runs the Compose CLI in the monorepo root (emb.docker.compose), so the user's
COMPOSE_* settings, override files and `.env` apply as for `docker compose`.
A SERVICE argument names a Compose service; an unknown one is an error
listing the services. Commands that change something take `--dry-run`,
which prints the compose command line instead.
"""

from __future__ import annotations

import sys

import click

from emb.cli.common import Globals, pass_globals, table
from emb.cli.options import flavored
from emb.docker import compose
from emb.executors import RunContext
from emb.flow import lifecycle
from emb.flow.shell import open_shell
from emb.model import Component
from emb.output import note, print_json


def _services_or_error(monorepo, names) -> None:
    for name in names:
        compose.require_service(monorepo, name)


def _require_compose_file(monorepo) -> None:
    compose.compose_argv()  # no CLI: the clearer error comes first
    if not compose.compose_file_applies(monorepo.root):
        raise compose.no_compose_file_error(monorepo)


def _dry_run_option(func):
    return click.option("--dry-run", is_flag=True, help="Print the docker compose command; change nothing.")(func)


def _compose(monorepo, args: list[str], dry_run: bool) -> int:
    if dry_run:
        click.echo(compose.shell_line(args))
        return 0
    return compose.stream_compose(monorepo, args)


def _lifecycle(g: Globals, services, args, dry_run: bool) -> int:
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    _services_or_error(monorepo, services)
    return _compose(monorepo, args, dry_run)


@click.command("up")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@click.option("--build", is_flag=True, help="Also let Compose build the images it builds itself.")
@click.option("-f", "--force", is_flag=True, help="Rebuild the resources and recreate the containers.")
@click.option("-j", "--jobs", metavar="N|auto", help="Resource builds at once (see `emb resources build`).")
@click.option("-k", "--keep-going", is_flag=True, help="After a failed build, go on with the others.")
@_dry_run_option
@flavored
@pass_globals
def up(g: Globals, services: tuple[str, ...], build: bool, force: bool, jobs: str | None,
       keep_going: bool, dry_run: bool) -> int:
    """Build the resources (all, or the SERVICEs' components' and what they need), then start
    the Compose services (all, or the SERVICEs named), detached."""
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    _services_or_error(monorepo, services)
    ids = [r for name in services for r in getattr(monorepo.components.get(name), "resources", ())] \
        if services else list(monorepo.resources)
    if ids:
        from emb.flow.builds import BuildFlow, Options  # the build flow loads only when there is one

        code = BuildFlow(monorepo, Options(ids=ids, force=force, jobs=jobs, keep_going=keep_going,
                                           dry_run=dry_run)).run()
        if code != 0:
            return code
    return _compose(monorepo, compose.up_args(services, force_recreate=force, build=build), dry_run)


@click.command("down")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@click.option("-v", "--volumes", is_flag=True, help="Also remove the project's named volumes.")
@_dry_run_option
@flavored
@pass_globals
def down(g: Globals, services: tuple[str, ...], volumes: bool, dry_run: bool) -> int:
    """Stop and remove the Compose project's containers and networks (or only the SERVICEs')."""
    return _lifecycle(g, services, compose.down_args(services, volumes=volumes), dry_run)


@click.command("start")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@_dry_run_option
@flavored
@pass_globals
def start(g: Globals, services: tuple[str, ...], dry_run: bool) -> int:
    """Start the existing containers of the services (all, or the SERVICEs named)."""
    return _lifecycle(g, services, compose.start_args(services), dry_run)


@click.command("stop")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@_dry_run_option
@flavored
@pass_globals
def stop(g: Globals, services: tuple[str, ...], dry_run: bool) -> int:
    """Stop the running containers of the services (all, or the SERVICEs named), keeping them."""
    return _lifecycle(g, services, compose.stop_args(services), dry_run)


@click.command("restart")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@click.option("--no-deps", "-f", "no_deps", is_flag=True,
              help="Do not restart the services they depend on (EMB 0.30 spells it -f).")
@_dry_run_option
@flavored
@pass_globals
def restart(g: Globals, services: tuple[str, ...], no_deps: bool, dry_run: bool) -> int:
    """Restart the services' containers (all, or the SERVICEs named)."""
    return _lifecycle(g, services, compose.restart_args(services, no_deps=no_deps), dry_run)


@click.command("ps")
@click.option("-a", "--all", "all_containers", is_flag=True,
              help="Every container, stopped ones included (default: one row per service).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@flavored
@pass_globals
def ps(g: Globals, all_containers: bool, as_json: bool) -> int:
    """List the Compose services and the state of their containers."""
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    rows = service_rows(compose.compose_services(monorepo), compose.containers(monorepo), all_containers)
    if as_json:
        print_json(rows)
    else:
        click.echo(table(
            ["SERVICE", "STATE", "CONTAINER", "STATUS", "PORTS"],
            [[r["service"], r["state"], r["container"] or "-", r["status"] or "-", r["ports"]] for r in rows],
        ))
    return 0


ACTIVE_STATES = ("running", "restarting", "paused")


def _row(c: dict) -> dict:
    return {
        "service": c.get("Service", ""),
        "state": c.get("State", ""),
        "container": c.get("Name") or c.get("Names") or None,
        "status": c.get("Status") or None,
        "ports": c.get("Ports") or "",
    }


def service_rows(services, containers: list[dict], all_containers: bool = True) -> list[dict]:
    """One row per container, plus one per service that has none yet ("not created").

    Without `all_containers`, stopped containers are left out, except that a
    service with no active container still gets one row (its latest stopped
    container's state), so every service shows up once."""
    rows = []
    seen = set()
    ordered = sorted(containers, key=lambda c: (c.get("Service", ""), c.get("Name", "")))
    active = {c.get("Service", "") for c in ordered if c.get("State") in ACTIVE_STATES}
    for c in ordered:
        service = c.get("Service", "")
        if not all_containers and c.get("State") not in ACTIVE_STATES and (service in active or service in seen):
            continue
        seen.add(service)
        rows.append(_row(c))
    for service in sorted(set(services) - seen):
        rows.append({"service": service, "state": "not created", "container": None, "status": None, "ports": ""})
    rows.sort(key=lambda r: r["service"])
    return rows


class _LogsCommand(click.Command):
    """`emb logs [SERVICE]...` that also answers `emb logs archive ...` (EMB 0.30's two commands):
    a service cannot be called `archive` here, which Compose names rarely are."""

    def make_context(self, info_name, args, parent=None, **extra):
        if args[:1] == ["archive"]:
            return logs_archive.make_context(f"{info_name} archive", list(args[1:]), parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        if ctx.command is not self:
            return ctx.command.invoke(ctx)
        return super().invoke(ctx)

    def format_help_text(self, ctx, formatter):
        super().format_help_text(ctx, formatter)
        with formatter.section("Sub-command"):
            formatter.write_dl([("archive", "Write each service's logs to a file (emb logs archive --help).")])


@click.command("logs", cls=_LogsCommand)
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@click.option("-f", "--follow/--no-follow", default=False, help="Keep printing new output (default: no).")
@click.option("--tail", metavar="N", help="Only the last N lines of each container.")
@click.option("-t", "--timestamps", is_flag=True, help="Show timestamps.")
@flavored
@pass_globals
def logs(g: Globals, services: tuple[str, ...], follow: bool, tail: str | None, timestamps: bool) -> int:
    """Show the logs of the Compose services (all, or the SERVICEs named)."""
    monorepo = g.monorepo()
    _require_compose_file(monorepo)
    _services_or_error(monorepo, services)
    return compose.stream_compose(monorepo, compose.logs_args(services, follow=follow, tail=tail,
                                                              timestamps=timestamps))


@click.command("archive")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@click.option("-t", "--timestamps", is_flag=True, help="Prefix each line with its timestamp.")
@click.option("--tail", metavar="N", help="Only the last N lines of each service.")
@click.option("-o", "--output", metavar="DIR",
              help="Folder for the files (default: .emb/<flavor>/logs/docker/compose/).")
@click.option("--json", "as_json", is_flag=True, help="Print [{service, path}] as JSON.")
@flavored
@pass_globals
def logs_archive(g: Globals, services: tuple[str, ...], timestamps: bool, tail: str | None,
                 output: str | None, as_json: bool) -> int:
    """Write the logs of each service (all, or the SERVICEs named) to SERVICE.log, one file each."""
    monorepo = g.monorepo()
    compose.compose_argv()
    written = lifecycle.archive_logs(monorepo, services, timestamps=timestamps, tail=tail, output=output)
    if as_json:
        print_json(written)
    else:
        for item in written:
            click.echo(f"{item['service']}: {item['path']}")
    return 0


@click.command("clean")
@click.option("-f", "--force", is_flag=True, help="Delete the images even if a container still uses them.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@flavored
@pass_globals
def clean(g: Globals, force: bool, dry_run: bool, as_json: bool) -> int:
    """Remove the project's containers, images and emb's state folder (.emb/).

    In order: docker compose down, prune the project's stopped containers,
    delete its images (`<project>/...` references with the emb/project
    label), prune its dangling images, then remove `.emb/`. Nothing of
    another project is touched."""
    report = lifecycle.clean(g.monorepo(), force=force, dry_run=dry_run)
    if as_json:
        print_json(report)
    elif not dry_run:
        note(f"emb: removed {len(report['images'])} image reference(s), "
             f"{len(report['containers'])} stopped container(s), {len(report['state'])} state folder(s)")
    return 0


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
