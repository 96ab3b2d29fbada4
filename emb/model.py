"""The resolved monorepo: frozen, plain data produced by `emb.config.load()`.

Everything downstream (planner, executors, CLI listings) reads these records
and nothing else; no module below the config layer looks at YAML.

Expansion is lazy (SPEC §1): a Task's `vars`, `script` and `confirm`, a
Resource's `params` and `Monorepo.defaults` hold the text as written, with
`${...}` references unexpanded. Whoever uses them asks the config layer:
`emb.config.values.resolve_task(monorepo, task)` (the run flow does it
before an executor sees the task), `resource_params(monorepo, resource)`,
`docker_defaults(monorepo)`, `expand_value(monorepo, value, path)`.

Records are typing.NamedTuple rather than frozen dataclasses: equally
immutable and keyword-constructed, but about 5x cheaper to define, and
these definitions run on every emb start (~1 ms per dataclass).
"""

from __future__ import annotations

from types import MappingProxyType
from pathlib import Path
from typing import Any, Mapping, NamedTuple

# The executors, in the order `emb run --help` lists them: the one list of
# names (the schema's enum is tested against it). Those in COMPONENT_EXECUTORS
# run inside a component's service or pod, so project tasks cannot use them.
EXECUTOR_NAMES = ("local", "container", "kubernetes")
COMPONENT_EXECUTORS = ("container", "kubernetes")
_EMPTY: Mapping = MappingProxyType({})  # shared, read-only default for mapping fields


class KubernetesSettings(NamedTuple):
    """Project-wide kubernetes settings: top-level `kubernetes:` over `defaults.kubernetes:`,
    key by key (merged once, by the config layer)."""

    namespace: str | None = None
    context: str | None = None
    selector_label: str | None = None
    # Where each set value came from ("kubernetes.namespace", "defaults.kubernetes.namespace"...).
    sources: Mapping[str, str] = _EMPTY


class ComponentKubernetes(NamedTuple):
    """A component's `kubernetes:` block (SPEC §4 "Which pods" / "Which container")."""

    deployment: str | None = None
    selector: str | None = None
    container: str | None = None
    statefulset: str | None = None
    daemonset: str | None = None


class Confirm(NamedTuple):
    message: str
    expect: str | None = None


class Task(NamedTuple):
    id: str  # "component:name" or "name" for project tasks
    name: str
    component: str | None = None
    description: str | None = None
    script: str | None = None
    pre: tuple[str, ...] = ()
    executor: str | None = None
    executors: tuple[str, ...] | None = None
    interactive: bool = False
    workdir: str | None = None
    vars: Mapping[str, str] = _EMPTY  # as written (vars, script, confirm: see resolve_task above)
    confirm: Confirm | None = None
    dependencies: tuple[str, ...] = ()  # resources (ids or unique names) built before the task runs


class Resource(NamedTuple):
    """Something emb builds for a component (SPEC §6): `resources.<name>` of a component."""

    id: str  # "component:name"
    name: str
    component: str
    type: str  # "docker/image", "file", "op/file"
    params: Mapping[str, Any] = _EMPTY  # as written: expanded by emb.config.values.resource_params
    publish: bool = False
    dependencies: tuple[str, ...] = ()  # other resources, by id or unique name
    rebuild_trigger: Mapping[str, Any] | None = None  # {strategy, paths?}; None: the flavor's policy, else auto


class Component(NamedTuple):
    name: str
    root_dir: Path  # absolute
    rel_dir: str  # relative to the monorepo root, posix style ("." for the root)
    description: str | None = None
    kubernetes: ComponentKubernetes = ComponentKubernetes()
    tasks: tuple[str, ...] = ()  # task ids
    resources: tuple[str, ...] = ()  # resource ids


class Monorepo(NamedTuple):
    name: str
    root: Path  # absolute folder holding .emb.yml (after project.rootDir)
    config_file: Path
    flavor: str | None
    components: Mapping[str, Component]
    tasks: Mapping[str, Task]  # by id, in declaration order
    kubernetes: KubernetesSettings = KubernetesSettings()
    resources: Mapping[str, Resource] = _EMPTY  # by id, in declaration order
    defaults: Mapping[str, Any] = _EMPTY  # `defaults:` (docker, build; kubernetes is merged above)
    rebuild_policy: Mapping[str, Any] = _EMPTY  # the flavor's defaults.rebuildPolicy: type -> trigger
    resolved: Mapping[str, Any] = _EMPTY  # the merged document, for `config print` (emb.config.values)
    env: Mapping[str, str] = _EMPTY  # the project `env:` block, expanded and exported at load
    # The load's emb.config.expand.Expander (opaque here): values expanded at use (SPEC §1).
    expander: Any = None


def pod_source(component: Component, settings: KubernetesSettings) -> tuple[str, str]:
    """How a component's pods are found (SPEC §4 "Which pods").

    Returns ("selector", "app=api,tier=backend") for a label selector, or
    ("deployment" | "statefulset" | "daemonset", NAME) when that workload's own
    spec.selector is to be used.
    """
    k = component.kubernetes
    if k.selector:
        return ("selector", k.selector)
    if k.statefulset:
        return ("statefulset", k.statefulset)
    if k.daemonset:
        return ("daemonset", k.daemonset)
    if settings.selector_label:
        return ("selector", f"{settings.selector_label}={component.name}")
    return ("deployment", k.deployment or component.name)


def pre_matches(tasks: Mapping[str, Task], task: Task, ref: str) -> tuple[str, ...]:
    """The task ids a `pre` entry of `task` may stand for; exactly one means resolved.

    The rule, in order: a bare name inside a component task is that
    component's task (`pre: [build]` in api:migrate is api:build); then the
    task with that id; then the only task anywhere with that name. Several
    tasks with that name: all of them (ambiguous); none: ().
    """
    if ":" not in ref and task.component is not None and f"{task.component}:{ref}" in tasks:
        return (f"{task.component}:{ref}",)
    if ref in tasks:
        return (ref,)
    return tuple(t.id for t in tasks.values() if t.name == ref)


def executor_problem(task: Task) -> tuple[tuple, str, tuple[str, ...]] | None:
    """What is wrong with the executors a task declares (SPEC §2), or None:
    (path of the key inside the task, message, hints). The config layer
    reports it with the file and line; emb.executors.choice for any Task."""
    if task.executors is not None and not task.executors:
        return (("executors",), f"task {task.id}: `executors` is empty",
                ("list at least one executor, or remove the key",))
    for path, name in [*((("executors", i), n) for i, n in enumerate(task.executors or ())),
                       *((("executor",), task.executor),) * (task.executor is not None)]:
        if name not in EXECUTOR_NAMES:
            return (path, f"task {task.id}: unknown executor {name!r}", (f"executors: {', '.join(EXECUTOR_NAMES)}",))
        if task.component is None and name in COMPONENT_EXECUTORS:
            return (path, f"project task {task.id} cannot use the {name} executor (it needs a component)",
                    ("move the task under a component's `tasks:`, or use local",))
    if task.executor is not None and task.executors is not None and task.executor not in task.executors:
        return (("executor",), f"task {task.id}: executor '{task.executor}' is not in its executors "
                               f"({', '.join(task.executors)})", ("add it to `executors`, or remove `executor`",))
    return None
