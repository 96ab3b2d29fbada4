"""The resolved monorepo: frozen, plain data produced by `emb.config.load()`.

Everything downstream (planner, executors, CLI listings) reads these records
and nothing else; no module below the config layer looks at YAML.

Records are typing.NamedTuple rather than frozen dataclasses: equally
immutable and keyword-constructed, but about 5x cheaper to define, and
these definitions run on every emb start (~1 ms per dataclass).
"""

from __future__ import annotations

from types import MappingProxyType
from pathlib import Path
from typing import Any, Mapping, NamedTuple

EXECUTOR_NAMES = ("local", "container", "kubernetes")
_EMPTY: Mapping = MappingProxyType({})  # shared, read-only default for mapping fields


class KubernetesSettings(NamedTuple):
    """Project-wide `kubernetes:` (and `defaults.kubernetes:`) settings."""

    namespace: str | None = None
    context: str | None = None
    selector_label: str | None = None


class ComponentKubernetes(NamedTuple):
    """A component's `kubernetes:` block (SPEC §4 "Which pods" / "Which container")."""

    deployment: str | None = None
    selector: str | None = None
    container: str | None = None


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
    vars: Mapping[str, str] = _EMPTY
    confirm: Confirm | None = None


class Component(NamedTuple):
    name: str
    root_dir: Path  # absolute
    rel_dir: str  # relative to the monorepo root, posix style ("." for the root)
    description: str | None = None
    kubernetes: ComponentKubernetes = ComponentKubernetes()
    tasks: tuple[str, ...] = ()  # task ids


class Monorepo(NamedTuple):
    name: str
    root: Path  # absolute folder holding .emb.yml (after project.rootDir)
    config_file: Path
    flavor: str | None
    components: Mapping[str, Component]
    tasks: Mapping[str, Task]  # by id, in declaration order
    kubernetes: KubernetesSettings = KubernetesSettings()
    defaults_kubernetes: KubernetesSettings = KubernetesSettings()
    env: Mapping[str, str] = _EMPTY
    vars: Mapping[str, str] = _EMPTY
    resolved: Mapping[str, Any] = _EMPTY  # the resolved document, for `config print`

    @property
    def state_dir(self) -> Path:
        """`.emb/<flavor or "default">/`: logs and caches of this flavor."""
        return self.root / ".emb" / (self.flavor or "default")


def effective_kubernetes(monorepo: Monorepo) -> KubernetesSettings:
    """Top-level `kubernetes:` wins key by key over `defaults.kubernetes:` (SPEC §1)."""
    top, dflt = monorepo.kubernetes, monorepo.defaults_kubernetes
    return KubernetesSettings(
        namespace=top.namespace if top.namespace is not None else dflt.namespace,
        context=top.context if top.context is not None else dflt.context,
        selector_label=top.selector_label if top.selector_label is not None else dflt.selector_label,
    )


def pod_source(component: Component, settings: KubernetesSettings) -> tuple[str, str]:
    """How a component's pods are found (SPEC §4 "Which pods").

    Returns ("selector", "app=api,tier=backend") for a label selector, or
    ("deployment", NAME) when the Deployment's own spec.selector is to be used.
    """
    k = component.kubernetes
    if k.selector:
        return ("selector", k.selector)
    if settings.selector_label:
        return ("selector", f"{settings.selector_label}={component.name}")
    return ("deployment", k.deployment or component.name)
