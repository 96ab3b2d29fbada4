"""op/file: `op read --force --out-file PATH REFERENCE [--account A]` (1Password CLI),
built only when the file is missing (SPEC §6). The path rule is file's."""

from __future__ import annotations

from pathlib import Path

from emb.model import Monorepo, Resource
from emb.process.command import Command
from emb.resources import BuildRun, Decision, file
from emb.resources import params as settings

reference = file.reference
decide = file.decide
prefetch = file.prefetch
log_path = file.log_path
finish = file.finish


def builder_input(monorepo: Monorepo, resource: Resource) -> dict:
    return {"path": file.reference(monorepo, resource), "reference": settings.params(monorepo, resource).get("reference")}


def account(monorepo: Monorepo) -> str | None:
    for plugin in (monorepo.resolved or {}).get("plugins") or ():
        if isinstance(plugin, dict) and plugin.get("name") == "op":
            value = (plugin.get("config") or {}).get("account")
            return settings.text(value) if value else None
    return None


def command(run: BuildRun, resource: Resource) -> Command:
    target = file.path(run.monorepo, resource)
    argv = ["op", "read", "--force", "--out-file", str(target), str(settings.params(run.monorepo, resource).get("reference", ""))]
    acct = account(run.monorepo)
    if acct:
        argv += ["--account", acct]
    return Command(argv=tuple(argv), where=str(target))


def produce(run: BuildRun, resource: Resource) -> None:
    """Make the parent folder (`op read --out-file` does not)."""
    Path(file.path(run.monorepo, resource)).parent.mkdir(parents=True, exist_ok=True)
