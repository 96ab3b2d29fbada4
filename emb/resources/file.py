"""file: `params.path` (default the resource name) in the component folder, built
only when missing (SPEC §6): `params.content` written with mode 0600, else
`params.script` run in the component folder (it must create the file), else
an empty file."""

from __future__ import annotations

import os
from pathlib import Path

from emb.errors import EmbError
from emb.model import Monorepo, Resource
from emb.process.command import Command
from emb.process.logs import sanitize_task_id
from emb.resources import BuildRun, Decision, component_folder
from emb.resources import params as settings


def path(monorepo: Monorepo, resource: Resource) -> Path:
    rel = settings.params(monorepo, resource).get("path") or resource.name
    return Path(os.path.normpath(component_folder(monorepo, resource) / settings.text(rel)))


def reference(monorepo: Monorepo, resource: Resource) -> str:
    return str(path(monorepo, resource))


def builder_input(monorepo: Monorepo, resource: Resource) -> dict:
    p = settings.params(monorepo, resource)
    how = "content" if p.get("content") is not None else "script" if p.get("script") else "empty"
    out = {"path": reference(monorepo, resource), "cwd": str(component_folder(monorepo, resource)), "from": how}
    if how == "script":
        out["script"] = p["script"]
    return out


def prefetch(run: BuildRun, resource: Resource) -> None:
    """Nothing to do ahead: `decide` is one lstat."""


def decide(run: BuildRun, resource: Resource) -> Decision:
    if run.force:
        return Decision(True, "forced (--force)")
    if os.path.lexists(path(run.monorepo, resource)):
        return Decision(False, "up to date (the file exists)")
    return Decision(True, "file missing")


def command(run: BuildRun, resource: Resource) -> Command | None:
    script = settings.params(run.monorepo, resource).get("script")
    if settings.params(run.monorepo, resource).get("content") is not None or not script:
        return None
    return Command(argv=("sh", "-c", str(script)), cwd=component_folder(run.monorepo, resource),
                   where=reference(run.monorepo, resource))


def produce(run: BuildRun, resource: Resource) -> None:
    """Write `params.content` (0600), or an empty file, creating parent folders (before
    `command`; with a script, only the folders)."""
    target = path(run.monorepo, resource)
    content = settings.params(run.monorepo, resource).get("content")
    if command(run, resource) is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        return
    data = b"" if content is None else str(content).encode()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        if content is not None:
            os.chmod(target, 0o600)
    except OSError as exc:
        raise EmbError(f"resource {resource.id}: cannot write {target}: {exc.strerror}", exit_code=1) from None


def log_path(run: BuildRun, resource: Resource) -> Path:
    return run.logs_dir() / "resources" / (sanitize_task_id(resource.id) + ".log")


def finish(run: BuildRun, resource: Resource, decision: Decision) -> str | None:
    target = path(run.monorepo, resource)
    if not os.path.lexists(target):
        raise EmbError(f"resource {resource.id}: its script ended without creating {target}",
                       ["the script runs in the component folder and must write params.path"], exit_code=1)
    return None
