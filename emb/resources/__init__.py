"""Resources: what emb builds (SPEC §6). One table {type: module}; every module
implements the whole `ResourceType` protocol (module-level functions), so the
build flow never probes for a function.

- `image.py` (docker/image), `file.py` (file), `opfile.py` (op/file): a resource ->
  its reference, its builder input, a freshness `Decision`, the `Command` that
  builds it, and what to record after a success.
- `context.py`: what docker sends as the build context, and its fingerprint.
- `state.py`: freshness records under `.emb/<flavor>/`.

Resource references (in `emb resources build RES...`, in a resource's or a
task's `dependencies`): an id (`api:image`), or a name unique in the monorepo;
a task's bare name prefers its own component's resource (EMB 0.30).
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Protocol

from emb import graph
from emb.state import flavor_dir
from emb.errors import ConfigError, UsageError
from emb.model import Monorepo, Resource
from emb.process.command import Command

# type -> module; the keys are the schema's resource types.
TYPES = {
    "docker/image": "emb.resources.image",
    "file": "emb.resources.file",
    "op/file": "emb.resources.opfile",
}


class Decision(NamedTuple):
    """Whether a resource must be built, and why (`reason` reads on its own: "image missing")."""

    build: bool
    reason: str
    strategy: str | None = None  # docker/image: auto, always, watch-paths
    source: str | None = None  # where the strategy came from: resource, flavor, builtin
    watched: tuple[str, ...] = ()  # watch-paths: the files that matched
    record: Mapping[str, Any] | None = None  # the fingerprint to record after a successful build

    def sentinel(self) -> dict:
        """EMB 0.30's `sentinelData` names."""
        data = {"strategy": self.strategy, "source": self.source, "reason": self.reason}
        if self.watched:
            data["watched"] = list(self.watched)
        return data


class BuildRun:
    """What one `emb resources build` knows, shared by its builds (thread-safe where it is written)."""

    def __init__(self, monorepo: Monorepo, *, force: bool = False, dry_run: bool = False,
                 image_ids: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
                 builder: str = "legacy"):
        from emb.resources import state as records  # below this package: imported when used

        self.monorepo = monorepo
        self.force = force
        self.dry_run = dry_run
        self.builder = builder
        # reference -> id before any build; a callable is a lookup still running (asked on first use)
        self._image_ids = image_ids if callable(image_ids) else dict(image_ids or {})
        self.files: dict[str, Any] = {}  # resource id -> its context manifest, computed ahead (prefetch)
        self.artifacts: dict[str, str | None] = {}  # resource id -> what it produced in this run (image id)
        self.rebuilt: set[str] = set()  # resource ids built (or, dry-run, to be built) in this run
        self.hashes = records.load_hash_cache(monorepo)
        self.lock = threading.Lock()

    @property
    def image_ids(self) -> dict[str, str]:
        if callable(self._image_ids):
            self._image_ids = dict(self._image_ids())
        return self._image_ids

    def built(self, resource_id: str, artifact: str | None) -> None:
        with self.lock:
            self.rebuilt.add(resource_id)
            self.artifacts[resource_id] = artifact

    def logs_dir(self) -> Path:
        return flavor_dir(self.monorepo.root, self.monorepo.flavor) / "logs"


class ResourceType(Protocol):
    def reference(self, monorepo: Monorepo, resource: Resource) -> str: ...

    def builder_input(self, monorepo: Monorepo, resource: Resource) -> dict: ...

    def prefetch(self, run: BuildRun, resource: Resource) -> None:
        """Work `decide` will need that can be done ahead (while docker answers a lookup)."""

    def decide(self, run: BuildRun, resource: Resource) -> Decision: ...

    def command(self, run: BuildRun, resource: Resource) -> Command | None:
        """The command that builds it; None when emb makes it itself (`produce`)."""

    def produce(self, run: BuildRun, resource: Resource) -> None: ...

    def log_path(self, run: BuildRun, resource: Resource) -> Path: ...

    def finish(self, run: BuildRun, resource: Resource, decision: Decision) -> str | None:
        """After a successful build: record it; returns what it produced (an image id) or None."""


def kind(resource: Resource) -> ResourceType:
    target = TYPES.get(resource.type)
    if target is None:
        raise ConfigError(f"resource {resource.id}: unknown type {resource.type!r}",
                          [f"types: {', '.join(TYPES)}"])
    module: ModuleType = importlib.import_module(target)
    return module  # type: ignore[return-value]


def reference(monorepo: Monorepo, resource: Resource) -> str:
    return kind(resource).reference(monorepo, resource)


# -- references and the graph ---------------------------------------------------------

def matches(monorepo: Monorepo, ref: str, component: str | None = None) -> tuple[str, ...]:
    """The resource ids `ref` may stand for; exactly one means resolved."""
    resources = monorepo.resources
    if ":" not in ref and component is not None and f"{component}:{ref}" in resources:
        return (f"{component}:{ref}",)
    if ref in resources:
        return (ref,)
    return tuple(r.id for r in resources.values() if r.name == ref)


def resolve(monorepo: Monorepo, ref: str, *, owner: str, component: str | None = None,
            error=ConfigError) -> str:
    """The one resource id `ref` names; `owner` says where it was written ("resource api:image")."""
    found = matches(monorepo, ref, component)
    if len(found) == 1:
        return found[0]
    if found:
        raise error(f"{owner}: resource {ref!r} is ambiguous: it matches {', '.join(found)}",
                    ["name it by its id (component:name)"])
    raise error(f"{owner}: unknown resource {ref!r}", suggestions(monorepo, ref))


def suggestions(monorepo: Monorepo, ref: str) -> list[str]:
    import difflib  # error path only

    words = list(dict.fromkeys([*monorepo.resources, *(r.name for r in monorepo.resources.values())]))
    close = difflib.get_close_matches(ref, words, n=3, cutoff=0.6)
    hints = [f"did you mean: {', '.join(close)}?"] if close else []
    owned = [r.id for r in monorepo.resources.values() if r.component == ref]
    if owned:
        hints = [f"{ref} is a component; its resources: {', '.join(owned)}"]
    return hints + ["list the resources with `emb resources`"]


def dependencies(monorepo: Monorepo, resource: Resource) -> list[str]:
    return [resolve(monorepo, dep, owner=f"resource {resource.id}: `dependencies`")
            for dep in resource.dependencies]


def select(monorepo: Monorepo, refs: Iterable[str] = (), publishable: bool = False) -> list[str]:
    """The resource ids the command line names (default: all), with --publishable applied."""
    refs = list(refs)
    if refs:
        ids = [resolve(monorepo, ref, owner="emb resources build", error=UsageError) for ref in refs]
    else:
        ids = list(monorepo.resources)
    if publishable:
        ids = [i for i in ids if monorepo.resources[i].publish]
    return list(dict.fromkeys(ids))


def build_order(monorepo: Monorepo, ids: Iterable[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(every resource `ids` need, in dependency order; {id: its dependencies})."""
    deps, rank = graph.closure(list(ids), lambda rid: dependencies(monorepo, monorepo.resources[rid]))
    order = graph.order(deps, rank, cycle_message="the resources' `dependencies` form a cycle",
                        cycle_hint="remove one of these `dependencies` entries")
    return order, deps


def task_resources(monorepo: Monorepo, tasks) -> list[str]:
    """The resources the tasks' `dependencies` name (a bare name prefers the task's component)."""
    ids: list[str] = []
    for task in tasks:
        for dep in task.dependencies:
            ids.append(resolve(monorepo, dep, owner=f"task {task.id}: `dependencies`", component=task.component))
    return list(dict.fromkeys(ids))


def component_folder(monorepo: Monorepo, resource: Resource) -> Path:
    component = monorepo.components.get(resource.component)
    return component.root_dir if component is not None else monorepo.root
