"""Turn the resolved (merged, flavored; expanded where loading needs it) document into
emb.model objects,
checking what a schema cannot: `pre` names existing tasks, executors agree."""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType

from emb.config.expand import scalar_text
from emb.config.where import Origins
from emb.model import (Component, ComponentKubernetes, Confirm, KubernetesSettings,
                       Monorepo, Resource, Task, executor_problem, pre_matches)

_KUBERNETES_KEYS = {"namespace": "namespace", "context": "context", "selector_label": "selectorLabel"}


def kubernetes_settings(doc: dict) -> KubernetesSettings:
    """Top-level `kubernetes:` wins key by key over `defaults.kubernetes:` (SPEC §1)."""
    layers = (("kubernetes", doc.get("kubernetes") or {}),
              ("defaults.kubernetes", (doc.get("defaults") or {}).get("kubernetes") or {}))
    values: dict = {}
    sources: dict[str, str] = {}
    for field, key in _KUBERNETES_KEYS.items():
        for where, block in layers:
            # An empty namespace or context (`${env:NS:-}`) counts as unset: the next layer decides.
            if block.get(key) is not None and (block[key] != "" or field == "selector_label"):
                values[field] = block[key]
                sources[field] = f"{where}.{key}"
                break
    return KubernetesSettings(**values, sources=MappingProxyType(sources))


def make_task(name: str, spec: dict, component: str | None) -> Task:
    executors = spec.get("executors")
    confirm = spec.get("confirm")
    return Task(
        id=f"{component}:{name}" if component else name,
        name=name,
        component=component,
        description=spec.get("description"),
        script=spec.get("script"),
        pre=tuple(str(p) for p in spec.get("pre") or ()),
        executor=spec.get("executor"),
        executors=tuple(executors) if executors else None,
        interactive=bool(spec.get("interactive", False)),
        workdir=spec.get("workdir"),
        vars=MappingProxyType({str(k): scalar_text(v) for k, v in (spec.get("vars") or {}).items()}),
        confirm=Confirm(confirm["message"], confirm.get("expect")) if confirm else None,
        dependencies=tuple(str(d) for d in spec.get("dependencies") or ()),
    )


def make_resource(name: str, spec: dict, component: str) -> Resource:
    spec = spec or {}
    return Resource(
        id=f"{component}:{name}",
        name=name,
        component=component,
        type=str(spec.get("type", "")),
        params=MappingProxyType(dict(spec.get("params") or {})),
        publish=bool(spec.get("publish", False)),
        dependencies=tuple(str(d) for d in spec.get("dependencies") or ()),
        rebuild_trigger=spec.get("rebuildTrigger"),
    )


def build(doc: dict, *, root: Path, config_file: Path, flavor: str | None, origins: Origins,
          rebuild_policy: dict | None = None, env: dict | None = None, expander=None) -> Monorepo:
    components: dict[str, Component] = {}
    tasks: dict[str, Task] = {}
    resources: dict[str, Resource] = {}
    paths: dict[str, tuple] = {}  # task id -> its path in the document, for errors

    for cname, comp in (doc.get("components") or {}).items():
        cname = str(cname)
        comp = comp or {}
        rel = comp.get("rootDir") or "."
        k8s = comp.get("kubernetes") or {}
        ids = []
        for tname, spec in (comp.get("tasks") or {}).items():
            task = make_task(str(tname), spec, cname)
            tasks[task.id] = task
            paths[task.id] = ("components", cname, "tasks", tname)
            ids.append(task.id)
        resource_ids = []
        for rname, spec in (comp.get("resources") or {}).items():
            resource = make_resource(str(rname), spec, cname)
            resources[resource.id] = resource
            resource_ids.append(resource.id)
        components[cname] = Component(
            name=cname,
            root_dir=Path(os.path.normpath(root / rel)),
            rel_dir=rel,
            description=comp.get("description"),
            kubernetes=ComponentKubernetes(deployment=k8s.get("deployment"), selector=k8s.get("selector"),
                                           container=k8s.get("container"), statefulset=k8s.get("statefulset"),
                                           daemonset=k8s.get("daemonset")),
            tasks=tuple(ids),
            resources=tuple(resource_ids),
        )
    for tname, spec in (doc.get("tasks") or {}).items():
        task = make_task(str(tname), spec, None)
        tasks[task.id] = task
        paths[task.id] = ("tasks", tname)

    check_tasks(tasks, paths, origins)
    project = doc.get("project") or {}
    return Monorepo(
        name=str(project.get("name", "")),
        root=root,
        config_file=config_file,
        flavor=flavor,
        components=MappingProxyType(components),
        tasks=MappingProxyType(tasks),
        kubernetes=kubernetes_settings(doc),
        resources=MappingProxyType(resources),
        defaults=MappingProxyType({k: v for k, v in (doc.get("defaults") or {}).items() if k != "kubernetes"}),
        rebuild_policy=MappingProxyType(dict(rebuild_policy or {})),
        resolved=doc,
        env=MappingProxyType(dict(env or {})),
        expander=expander,
    )


def check_tasks(tasks: dict[str, Task], paths: dict[str, tuple], origins: Origins) -> None:
    names: dict[str, list[str]] = {}
    for task in tasks.values():
        names.setdefault(task.name, []).append(task.id)
    for task in tasks.values():
        path = paths[task.id]
        problem = executor_problem(task)
        if problem is not None:
            where, message, hints = problem
            raise origins.error(path + where, message, list(hints))
        for i, ref in enumerate(task.pre):
            problem = _pre_problem(task, ref, tasks, names)
            if problem:
                message, hints = problem
                raise origins.error(path + ("pre", i), message, hints)


def _pre_problem(task: Task, ref: str, tasks: dict[str, Task], names: dict[str, list[str]]):
    """Why a `pre` entry does not name exactly one task (emb.model.pre_matches), or None."""
    matches = pre_matches(tasks, task, ref)
    if len(matches) == 1:
        return None
    if matches:
        return (f"task {task.id}: pre '{ref}' is ambiguous: it matches {', '.join(matches)}",
                ["use a task id (component:name) in `pre`"])
    import difflib

    close = difflib.get_close_matches(ref, [*tasks, *names], n=1, cutoff=0.6)
    return (f"task {task.id}: pre '{ref}' names no task",
            [f"did you mean '{close[0]}'?" if close else "`pre` takes task ids (component:name) or names",
             "see `emb tasks` for the task ids"])
