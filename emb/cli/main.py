"""The `emb` root command.

Sub-commands are imported lazily (only the one being run), so `emb --help`
and quick commands do not pay for modules they never use.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from emb import __version__, launch, redact
from emb.errors import EXIT_INTERRUPTED, EmbError

PRELOADED = "emb.monorepo"  # ctx.meta key: the monorepo loaded to resolve `emb TASK`

# name -> "module:attribute"; the order is the order of `emb --help`.
COMMANDS = {
    "run": "emb.cli.run:run",
    "tasks": "emb.cli.tasks:tasks",
    "components": "emb.cli.components:components",
    "config": "emb.cli.config:config",
    "resources": "emb.cli.resources:resources",
    "up": "emb.cli.compose:up",
    "down": "emb.cli.compose:down",
    "start": "emb.cli.compose:start",
    "stop": "emb.cli.compose:stop",
    "restart": "emb.cli.compose:restart",
    "ps": "emb.cli.compose:ps",
    "logs": "emb.cli.compose:logs",
    "shell": "emb.cli.compose:shell",
    "containers": "emb.cli.containers:containers",
    "images": "emb.cli.images:images",
    "clean": "emb.cli.compose:clean",
    "kubernetes": "emb.cli.kubernetes:kubernetes",
    "secrets": "emb.cli.secrets:secrets",
}

# One-line help for `emb --help` without importing every command module.
SUMMARIES = {
    "run": "Run tasks (and their `pre` tasks) on an executor.",
    "tasks": "List the tasks of the monorepo.",
    "components": "List the components of the monorepo.",
    "config": "Print the resolved configuration or its JSON Schema.",
    "resources": "List the resources (images, files), build and publish them.",
    "up": "Start Docker Compose services (detached).",
    "down": "Stop and remove the Docker Compose project (or some services).",
    "start": "Start the existing containers of Compose services.",
    "stop": "Stop Compose services, keeping their containers.",
    "restart": "Restart Compose services.",
    "ps": "List the Docker Compose services and their state.",
    "logs": "Show Compose services' logs (logs archive: to files).",
    "shell": "Open an interactive shell in a Compose service.",
    "containers": "List (or prune) the project's containers.",
    "images": "List, delete, prune or push the project's images.",
    "clean": "Remove the project's containers, images and .emb/ state.",
    "kubernetes": "Pods of a namespace: ps, logs, restart, shell.",
    "secrets": "Secret references (vault, op): list, validate, providers.",
}


# Root options that may also follow the sub-command (`emb tasks -C dir`, SPEC §1).
HOISTED = ("-C", "--root", "--flavor")


def hoist_global_options(args: list[str]) -> list[str]:
    """argv with -C/--root/--flavor moved before the sub-command, wherever they were
    (never past `--`: what follows it is a task's arguments)."""
    front: list[str] = []
    rest: list[str] = []
    after_command = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in HOISTED and i + 1 < len(args):
            (front if after_command else rest).extend(args[i:i + 2])
            i += 2
            continue
        if arg.startswith(("--root=", "--flavor=")) or (arg.startswith("-C") and len(arg) > 2):
            (front if after_command else rest).append(arg)
            i += 1
            continue
        if not arg.startswith("-"):
            after_command = True
        rest.append(arg)
        i += 1
    return front + rest


class LazyGroup(click.Group):
    def parse_args(self, ctx, args):
        if ctx.parent is None:
            args = hoist_global_options(list(args))
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        # A bug in a command module must show as itself, not as "no such command".
        return getattr(importlib.import_module(module), attr)

    def _names_a_task(self, ctx, name: str) -> bool:
        """Whether `name` is a task id or name of the monorepo (loaded once, kept for the run)."""
        from emb.config import find, load
        from emb.config.loader import current_directory

        root, flavor = ctx.params.get("root"), ctx.params.get("flavor")
        try:
            find.find_config_file(root, current_directory(), os.environ)
        except EmbError:
            return False  # no monorepo here: the usual "no such command"
        try:
            monorepo = load(root=root, flavor=flavor)  # a broken configuration is reported as such
        except EmbError:
            if ctx.resilient_parsing:  # shell completion: no error text into the user's shell
                return False
            raise
        ctx.meta[PRELOADED] = monorepo
        return name in monorepo.tasks or any(t.name == name for t in monorepo.tasks.values())

    def format_commands(self, ctx, formatter):
        rows = [(name, SUMMARIES.get(name, "")) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and name not in COMMANDS and not name.startswith("-"):
            if self._names_a_task(ctx, name):  # `emb setup` is `emb run setup` (as EMB 0.30)
                return "run", self.get_command(ctx, "run"), list(args)
            import difflib

            monorepo = ctx.meta.get(PRELOADED)
            tasks = [] if monorepo is None else [*monorepo.tasks, *(t.name for t in monorepo.tasks.values())]
            close = difflib.get_close_matches(name, [*COMMANDS, *dict.fromkeys(tasks)], n=1)
            if close and close[0] not in COMMANDS:
                hint = f" Did you mean the task '{close[0]}' (emb run {close[0]})?"
            else:
                hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"no such command or task '{name}'.{hint}" if monorepo is not None
                                   else f"no such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="emb", message="%(prog)s %(version)s")
@click.option(
    "-C", "--root", metavar="DIR", envvar="EMB_ROOT", show_envvar=True,
    help="Monorepo root: a folder holding .emb.yml, or the file itself.",
)
@click.option("--flavor", metavar="NAME", envvar="EMB_FLAVOR", show_envvar=True, help="Apply this flavor's patches.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors (for bug reports).")
@click.pass_context
def cli(ctx: click.Context, root: str | None, flavor: str | None, verbose: bool) -> None:
    """emb runs a monorepo's tasks wherever the code lives: on this machine
    (local), in a Docker Compose service (container), or in a Kubernetes pod
    (kubernetes).

    `emb TASK...` is `emb run TASK...` when no command has that name.
    -C/--root and --flavor may also follow the command (`emb tasks -C dir`)."""
    from emb import launch
    from emb.cli.common import Globals

    launch.capture()  # before any configuration is read: tool variables come from here (SPEC §3)
    ctx.obj = Globals(root=root, flavor=flavor, verbose=verbose)
    ctx.obj._monorepo = ctx.meta.pop(PRELOADED, None)


def _standard_streams() -> None:
    """`emb run x >&-` or `2>&-`: a closed standard fd becomes /dev/null.

    Otherwise the next file emb opens (a log) would take fd 1 or 2 and receive
    the task's output, and Python leaves sys.stdout/sys.stderr None. What goes
    to a closed stream is dropped; the exit code still tells how the run went."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, mode))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; EmbError becomes a one-line message."""
    _standard_streams()
    # First thing: the environment emb was started in, before the repository's
    # env: block and .env files are exported (they never choose emb's tools).
    launch.capture()
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    if os.environ.get("DOCKER_PASSWORD"):  # emb logs in with it for `resources publish`: never shown
        redact.register(os.environ["DOCKER_PASSWORD"])
    try:
        rv = cli.main(args=argv, prog_name="emb", standalone_mode=False)
        # Commands return their exit code (an int) or None for success.
        return rv if isinstance(rv, int) else 0
    except EmbError as err:
        if verbose or os.environ.get("EMB_DEBUG"):
            import traceback

            traceback.print_exc()
        from emb.cli.common import print_error

        print_error(err)
        return err.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("emb: aborted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("emb: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `emb tasks | head`: the reader went away; not an error worth a traceback.
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            return 0
