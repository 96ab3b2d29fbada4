"""The one place tests build emb's model records without a config file.

    repo = monorepo(tmp_path, tasks=[task("api:migrate", script="...")])

Components are those named (`components=`, folder = name, or a mapping
name -> folder) plus the components of the tasks; folders are created only
with `mkdirs=True`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from emb.executors import RunContext
from emb.model import Component, ComponentKubernetes, KubernetesSettings, Monorepo, Task


def task(task_id: str, **fields) -> Task:
    """A Task from its id: `api:migrate` is component api's task migrate; `lint` a project task."""
    component, _, name = task_id.rpartition(":")
    return Task(id=task_id, name=name, component=component or None, **fields)


def component(root: Path, name: str, folder: str | None = None, **fields) -> Component:
    folder = folder or name
    return Component(name=name, root_dir=Path(root) / folder, rel_dir=folder, **fields)


def monorepo(root: Path | str = "/nonexistent/repo", *, tasks: Iterable[Task] = (),
             components: Iterable[str] | Mapping[str, str] = (), flavor: str | None = None,
             kubernetes: KubernetesSettings = KubernetesSettings(),
             component_kubernetes: Mapping[str, ComponentKubernetes] | None = None,
             mkdirs: bool = False, name: str = "demo") -> Monorepo:
    root = Path(root)
    tasks = list(tasks)
    folders = dict(components) if isinstance(components, Mapping) else {c: c for c in components}
    for t in tasks:
        if t.component and t.component not in folders:
            folders[t.component] = t.component
    comps = {}
    for cname, folder in folders.items():
        ids = tuple(t.id for t in tasks if t.component == cname)
        k8s = (component_kubernetes or {}).get(cname, ComponentKubernetes())
        comps[cname] = component(root, cname, folder, tasks=ids, kubernetes=k8s)
        if mkdirs:
            comps[cname].root_dir.mkdir(parents=True, exist_ok=True)
    return Monorepo(name=name, root=root, config_file=root / ".emb.yml", flavor=flavor,
                    components=comps, tasks={t.id: t for t in tasks}, kubernetes=kubernetes)


def context(repo: Monorepo, **fields) -> RunContext:
    return RunContext(monorepo=repo, **fields)
