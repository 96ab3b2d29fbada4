"""docker/image: `<project>/<image or component>:<tag>`, built with `docker build` (SPEC §6).

Freshness (`decide`), strategy `auto`: a fingerprint of what the build is
made from -- every entry docker sends (emb.resources.context: the context
minus `.dockerignore`, contents hashed), the Dockerfile, the build inputs
(reference, target, platform, build args, labels, builder) and the image ids
of the dependencies -- compared with the record of the last successful
build, and the image id docker has under the reference compared with the one
that build produced. `watch-paths`: the watched files instead of the whole
context. `always`: every time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from emb.docker import build as docker_build
from emb.errors import ConfigError
from emb.model import Monorepo, Resource
from emb.process.command import Command
from emb.resources import BuildRun, Decision, component_folder, context
from emb.resources import params as settings
from emb.resources import state as records

STRATEGIES = ("auto", "always", "watch-paths")


def reference(monorepo: Monorepo, resource: Resource) -> str:
    p = settings.params(monorepo, resource)
    defaults = settings.docker_defaults(monorepo)
    image = p.get("image") or resource.component
    tag = p.get("tag") or defaults.get("tag") or "latest"
    return f"{monorepo.name}/{settings.text(image)}:{settings.text(tag)}"


def build_input(monorepo: Monorepo, resource: Resource) -> docker_build.BuildInput:
    p = settings.params(monorepo, resource)
    defaults = settings.docker_defaults(monorepo)
    folder = component_folder(monorepo, resource)
    ctx = p.get("context")
    if ctx:
        ctx = settings.text(ctx)
        base = monorepo.root / ctx.lstrip("/") if ctx.startswith("/") else folder / ctx
    else:
        base = folder
    base = Path(os.path.normpath(base))
    dockerfile = Path(os.path.normpath(base / settings.text(p.get("dockerfile") or "Dockerfile")))
    build_args = {settings.text(k): settings.text(v)
                  for k, v in {**(defaults.get("buildArgs") or {}), **(p.get("buildArgs") or {})}.items()}
    labels = {settings.text(k): settings.text(v)
              for k, v in {**(defaults.get("labels") or {}), **(p.get("labels") or {})}.items()}
    labels.update({"emb/project": monorepo.name, "emb/component": resource.component,
                   "emb/flavor": monorepo.flavor or "default"})
    target = p.get("target") or defaults.get("target")
    platform = p.get("platform") or defaults.get("platform")
    return docker_build.BuildInput(
        context=base, dockerfile=dockerfile, reference=reference(monorepo, resource),
        target=settings.text(target) if target else None,
        platform=settings.text(platform) if platform else None,
        build_args=build_args, labels=labels)


def builder_input(monorepo: Monorepo, resource: Resource) -> dict:
    return build_input(monorepo, resource).as_json()


def log_path(run: BuildRun, resource: Resource) -> Path:
    return run.logs_dir() / "docker" / "build" / docker_build.log_name(reference(run.monorepo, resource))


def iid_path(run: BuildRun, resource: Resource) -> Path:
    return records.record_path(run.monorepo, resource).with_suffix(".iid")


def command(run: BuildRun, resource: Resource) -> Command:
    spec = build_input(run.monorepo, resource)
    argv = docker_build.build_argv(spec, iidfile=str(iid_path(run, resource)), docker=docker_build.docker_cli())
    return Command(argv=argv, env=docker_build.tool_env(), where=spec.reference,
                   details={"shown": " ".join(docker_build.build_argv(spec, masked=True))})


def produce(run: BuildRun, resource: Resource) -> None:
    """Docker makes the image (`command`); here only the folder of its --iidfile, with no stale one."""
    path = iid_path(run, resource)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def check_dockerfile(spec: docker_build.BuildInput, resource: Resource) -> None:
    if not spec.context.is_dir():
        raise ConfigError(f"resource {resource.id}: the docker context {spec.context} does not exist",
                          ["params.context is relative to the component (a leading / to the monorepo root)"])
    if not spec.dockerfile.is_file():
        raise ConfigError(f"resource {resource.id}: no Dockerfile at {spec.dockerfile}",
                          ["create it, or set params.dockerfile (relative to the context)"])


def preflight(monorepo: Monorepo, resource: Resource) -> None:
    """What must hold before any build starts: the context, the Dockerfile, watch-paths that match."""
    spec = build_input(monorepo, resource)
    check_dockerfile(spec, resource)
    trigger, _ = settings.rebuild_trigger(monorepo, resource)
    if trigger.get("strategy") == "watch-paths":
        for glob in trigger.get("paths") or ():
            if not context.expand_glob(spec.context, monorepo.root, glob):
                context.watched_files(spec.context, monorepo.root, [glob])  # raises its ConfigError
                break


# -- freshness ------------------------------------------------------------------------

def fingerprint(run: BuildRun, resource: Resource, spec: docker_build.BuildInput,
                trigger: Mapping[str, Any]) -> dict:
    """What a build of `resource` is made from: {files, inputs, dependencies} (see the module doc)."""
    monorepo = run.monorepo
    files = run.files.pop(resource.id, None)
    with run.lock:
        # A dependency built in this run (a file resource) may have written into the context.
        stale = any(dep in run.rebuilt for dep in resource.dependencies) or \
            any(dep in run.rebuilt for dep in _dependency_ids(monorepo, resource))
    if files is None or stale:
        files = files_manifest(run, spec, trigger)
    inputs = {"reference": spec.reference, "target": spec.target or "", "platform": spec.platform or "",
              "builder": run.builder, "dockerfile": _relative(monorepo.root, spec.dockerfile)}
    inside = _inside(spec.context, spec.dockerfile)
    if inside is None or inside not in files:
        inputs["dockerfile content"] = context.entry_value(spec.dockerfile, run.hashes)
    for key, value in spec.build_args.items():
        inputs[f"build arg {key}"] = records.digest(value)
    for key, value in spec.labels.items():
        inputs[f"label {key}"] = records.digest(value)
    deps = {}
    for dep_id in _dependency_ids(monorepo, resource):
        deps[dep_id] = dependency_state(run, dep_id)
    return {"files": files, "inputs": inputs, "dependencies": deps}


def files_manifest(run: BuildRun, spec: docker_build.BuildInput, trigger: Mapping[str, Any]) -> dict:
    """The files part of the fingerprint: the whole context, or the watch-paths files."""
    if trigger.get("strategy", "auto") == "watch-paths":
        return context.watched_files(spec.context, run.monorepo.root, list(trigger.get("paths") or ()),
                                     cache=run.hashes)
    return context.fingerprint_context(spec.context, spec.dockerfile, run.builder, cache=run.hashes)


def prefetch(run: BuildRun, resource: Resource) -> None:
    """The files manifest, ahead of `decide` (an error is left for `decide` to raise)."""
    trigger, _ = settings.rebuild_trigger(run.monorepo, resource)
    if run.force or trigger.get("strategy") == "always":
        return
    try:
        run.files[resource.id] = files_manifest(run, build_input(run.monorepo, resource), trigger)
    except Exception:  # noqa: BLE001 - decide() computes it again and reports the error
        pass


def dependency_state(run: BuildRun, dep_id: str) -> str:
    """What a dependent sees of a dependency: a docker image's id, a file's content digest."""
    from emb.resources import kind

    dep = run.monorepo.resources[dep_id]
    with run.lock:
        if dep_id in run.artifacts and run.artifacts[dep_id] is not None:
            return run.artifacts[dep_id]
    if dep.type == "docker/image":
        return run.image_ids.get(reference(run.monorepo, dep), "missing")
    path = Path(kind(dep).reference(run.monorepo, dep))
    try:
        return context.entry_value(path, run.hashes)
    except Exception:  # a dependency that is not there yet (dry-run)
        return "missing"


def decide(run: BuildRun, resource: Resource) -> Decision:
    monorepo = run.monorepo
    trigger, source = settings.rebuild_trigger(monorepo, resource)
    strategy = str(trigger.get("strategy", "auto"))
    if strategy not in STRATEGIES:
        raise ConfigError(f"resource {resource.id}: unknown rebuild strategy {strategy!r}",
                          [f"strategies: {', '.join(STRATEGIES)}"])
    spec = build_input(monorepo, resource)
    check_dockerfile(spec, resource)
    fp = fingerprint(run, resource, spec, trigger)
    watched = tuple(fp["files"]) if strategy == "watch-paths" else ()

    def decision(build: bool, reason: str) -> Decision:
        return Decision(build, reason, strategy, source, watched, fp)

    if run.force:
        return decision(True, "forced (--force)")
    if strategy == "always":
        return decision(True, "strategy always")
    current = run.image_ids.get(spec.reference)
    if current is None:
        return decision(True, "image missing")
    record = records.load(monorepo, resource)
    if record is None:
        return decision(True, "no build record (the image was not built by emb)")
    if record.get("imageId") != current:
        return decision(True, f"image {spec.reference} was replaced outside emb")
    if run.dry_run:
        with run.lock:
            pending = [d for d in fp["dependencies"] if d in run.rebuilt]
        if pending:
            return decision(True, f"dependency {pending[0]} rebuilt")
    reasons = changes(record, fp, root_prefix=_relative(monorepo.root, spec.context))
    if reasons:
        return decision(True, ", ".join(reasons))
    return decision(False, "up to date")


def changes(record: Mapping[str, Any], fp: Mapping[str, Any], root_prefix: str, limit: int = 3) -> list[str]:
    """Why `fp` differs from the recorded one: inputs first, then dependencies, then files."""
    found: list[str] = []
    old_inputs, new_inputs = record.get("inputs") or {}, fp["inputs"]
    for key in list(dict.fromkeys([*new_inputs, *old_inputs])):
        if old_inputs.get(key) == new_inputs.get(key):
            continue
        name = "Dockerfile" if key == "dockerfile content" else key
        if key not in old_inputs:
            found.append(f"{name} added")
        elif key not in new_inputs:
            found.append(f"{name} removed")
        else:
            found.append(f"{name} changed")
    old_deps, new_deps = record.get("dependencies") or {}, fp["dependencies"]
    for key in new_deps:
        if old_deps.get(key) != new_deps[key]:
            found.append(f"dependency {key} rebuilt")
    for key in old_deps:
        if key not in new_deps:
            found.append(f"dependency {key} removed")
    for path, what in context.changes(record.get("files") or {}, fp["files"]):
        shown = path if path.startswith("/") or root_prefix in ("", ".") else f"{root_prefix}/{path}"
        found.append(f"{shown.lstrip('/')} {what}")
    if len(found) > limit:
        found = found[:limit] + [f"and {len(found) - limit} more"]
    return found


def finish(run: BuildRun, resource: Resource, decision: Decision) -> str | None:
    """Record the build (its image id and fingerprint); returns the image id."""
    path = iid_path(run, resource)
    image_id = docker_build.read_iidfile(path)
    try:
        path.unlink()
    except OSError:
        pass
    if image_id is None:  # docker always writes it on success; without it, no record
        return None
    fp = dict(decision.record or {})
    # This build's dependencies as they are now (a dependency built meanwhile has a new id).
    records.save(run.monorepo, resource, {"reference": reference(run.monorepo, resource), "imageId": image_id,
                                          "strategy": decision.strategy, **fp})
    return image_id


def _dependency_ids(monorepo: Monorepo, resource: Resource) -> list[str]:
    from emb.resources import dependencies

    return dependencies(monorepo, resource)


def _relative(root: Path, path: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _inside(ctx: Path, dockerfile: Path) -> str | None:
    try:
        return dockerfile.relative_to(ctx).as_posix()
    except ValueError:
        return None
