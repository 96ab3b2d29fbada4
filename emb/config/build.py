"""Turn the resolved (merged, flavored, expanded) document into emb.model objects,
checking what a schema cannot: `pre` names existing tasks, executors agree."""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType

from emb.config.expand import scalar_text
from emb.config.where import Origins
from emb.model import (Component, ComponentKubernetes, Confirm, KubernetesSettings, Monorepo, Task)

COMPONENT_EXECUTORS = ("container", "kubernetes")


def kubernetes_settings(block: dict | None) -> KubernetesSettings:
    block = block or {}
    return KubernetesSettings(namespace=block.get("namespace"), context=block.get("context"),
                              selector_label=block.get("selectorLabel"))


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
    )


def build(doc: dict, *, root: Path, config_file: Path, flavor: str | None, env: dict, variables: dict,
          origins: Origins) -> Monorepo:
    components: dict[str, Component] = {}
    tasks: dict[str, Task] = {}
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
        components[cname] = Component(
            name=cname,
            root_dir=Path(os.path.normpath(root / rel)),
            rel_dir=rel,
            description=comp.get("description"),
            kubernetes=ComponentKubernetes(deployment=k8s.get("deployment"), selector=k8s.get("selector"),
                                           container=k8s.get("container")),
            tasks=tuple(ids),
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
        kubernetes=kubernetes_settings(doc.get("kubernetes")),
        defaults_kubernetes=kubernetes_settings((doc.get("defaults") or {}).get("kubernetes")),
        env=MappingProxyType(dict(env)),
        vars=MappingProxyType(dict(variables)),
        resolved=doc,
    )


def check_tasks(tasks: dict[str, Task], paths: dict[str, tuple], origins: Origins) -> None:
    names: dict[str, list[str]] = {}
    for task in tasks.values():
        names.setdefault(task.name, []).append(task.id)
    for task in tasks.values():
        path = paths[task.id]
        if task.executor and task.executors and task.executor not in task.executors:
            raise origins.error(path + ("executor",),
                                f"task {task.id}: executor '{task.executor}' is not in its executors "
                                f"({', '.join(task.executors)})", ["add it to `executors`, or remove `executor`"])
        if task.component is None:
            for i, name in enumerate(task.executors or ()):
                if name in COMPONENT_EXECUTORS:
                    raise _component_only(origins, path + ("executors", i), task, name)
            if task.executor in COMPONENT_EXECUTORS:
                raise _component_only(origins, path + ("executor",), task, task.executor)
        for i, ref in enumerate(task.pre):
            problem = _pre_problem(task, ref, tasks, names)
            if problem:
                message, hints = problem
                raise origins.error(path + ("pre", i), message, hints)


def _pre_problem(task: Task, ref: str, tasks: dict[str, Task], names: dict[str, list[str]]):
    """Why a `pre` entry does not name exactly one task (same rule as emb.planner.resolve_pre:
    same component's task, then that id, then the only task with that name), or None."""
    if (":" not in ref and task.component and f"{task.component}:{ref}" in tasks) or ref in tasks:
        return None
    matches = names.get(ref, [])
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


def _component_only(origins: Origins, path: tuple, task: Task, executor: str):
    return origins.error(path, f"project task {task.id} cannot use the {executor} executor "
                               "(it needs a component)",
                         ["move the task under a component's `tasks:`, or use local"])
