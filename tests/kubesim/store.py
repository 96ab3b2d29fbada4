"""One simulated cluster's state: objects by resource, resourceVersions, watch fan-out, logs.

Everything here is synchronous and guarded by one re-entrant lock, because it is
changed from two sides: aiohttp handlers on the server's event loop, and test code
(the Python API) on the test's thread. Watchers are asyncio queues on the server
loop; events reach them through `loop.call_soon_threadsafe`, so either side may
change state.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import objects

Key = tuple[str, str]  # (namespace or "", name)


@dataclass
class Watcher:
    """A subscriber for changes of one resource (optionally one namespace)."""

    plural: str
    namespace: str | None
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)

    def wants(self, plural: str, namespace: str) -> bool:
        return plural == self.plural and (self.namespace is None or self.namespace == namespace)


@dataclass
class LogLine:
    time: str  # RFC 3339 with nanoseconds, as `kubectl logs --timestamps` prints
    text: str


class Cluster:
    """The state of one simulated cluster (the simulator serves two: "sim" and "two")."""

    HISTORY = 5000

    def __init__(self, name: str, workdir: Path):
        self.name = name
        self.workdir = workdir  # per-pod "container filesystems" live below here
        self.lock = threading.RLock()
        self.objects: dict[str, dict[Key, dict]] = {}
        self._rv = 100
        self.history: deque[tuple[int, str, str, dict]] = deque(maxlen=self.HISTORY)
        self.watchers: list[Watcher] = []
        self.logs: dict[tuple[str, str, str], list[LogLine]] = {}
        # Called with (namespace, pod name) whenever a pod leaves the store.
        self.pod_removed_hooks: list[Callable[[str, str], None]] = []
        # How long new pods stay Pending and terminating pods linger (seconds).
        self.pod_start_delay = 0.0
        self.termination_delay = 0.0
        # controller.sync's work queue.
        self.sync_queue: list[tuple[str, str, str]] = []
        self.syncing = False
        # Set by the server: run fn after delay seconds on the server loop.
        self.scheduler: Callable[[float, Callable[[], None]], None] | None = None

    # --- resourceVersions and events ------------------------------------------

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _emit(self, kind: str, plural: str, obj: dict) -> None:
        ns = obj["metadata"].get("namespace", "")
        snapshot = copy.deepcopy(obj)
        self.history.append((self._rv, kind, plural, snapshot))
        for w in list(self.watchers):
            if w.wants(plural, ns):
                w.loop.call_soon_threadsafe(w.queue.put_nowait, (kind, snapshot))

    def subscribe(self, plural: str, namespace: str | None, since: int | None) -> tuple[Watcher, list]:
        """Register a watcher; return it with the events after `since` (None: none)."""
        loop = asyncio.get_running_loop()
        with self.lock:
            w = Watcher(plural, namespace, loop)
            self.watchers.append(w)
            backlog = []
            if since is not None:
                backlog = [(k, o) for rv, k, p, o in self.history
                           if rv > since and w.wants(p, o["metadata"].get("namespace", ""))]
            return w, backlog

    def unsubscribe(self, w: Watcher) -> None:
        with self.lock:
            if w in self.watchers:
                self.watchers.remove(w)

    # --- plain object access ----------------------------------------------------

    def table(self, plural: str) -> dict[Key, dict]:
        return self.objects.setdefault(plural, {})

    def get(self, plural: str, namespace: str | None, name: str) -> dict | None:
        with self.lock:
            obj = self.table(plural).get((namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def raw(self, plural: str, namespace: str | None, name: str) -> dict | None:
        """The stored object itself (caller holds the lock and calls put() after changing it)."""
        return self.table(plural).get((namespace or "", name))

    def list(self, plural: str, namespace: str | None = None) -> list[dict]:
        """Objects sorted by namespace and name, like the API server's list order."""
        with self.lock:
            items = [o for (ns, _), o in sorted(self.table(plural).items())
                     if namespace is None or ns == namespace]
            return copy.deepcopy(items)

    def raw_list(self, plural: str, namespace: str | None = None) -> list[dict]:
        return [o for (ns, _), o in sorted(self.table(plural).items())
                if namespace is None or ns == namespace]

    def put(self, plural: str, obj: dict) -> dict:
        """Insert or replace an object, bump its resourceVersion, notify watchers."""
        with self.lock:
            meta = obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            event = "MODIFIED" if key in self.table(plural) else "ADDED"
            meta["resourceVersion"] = self._next_rv()
            self.table(plural)[key] = obj
            self._emit(event, plural, obj)
            return obj

    def remove(self, plural: str, namespace: str | None, name: str) -> dict | None:
        with self.lock:
            obj = self.table(plural).pop((namespace or "", name), None)
            if obj is None:
                return None
            obj["metadata"]["resourceVersion"] = self._next_rv()
            self._emit("DELETED", plural, obj)
            if plural == "pods":
                for hook in list(self.pod_removed_hooks):
                    hook(namespace or "", name)
            return obj

    def schedule(self, delay: float, fn: Callable[[], None]) -> None:
        """Run fn (under the lock) now when delay is 0, else later on the server loop."""
        def locked() -> None:
            with self.lock:
                fn()

        if delay <= 0 or self.scheduler is None:
            locked()
        else:
            self.scheduler(delay, locked)

    # --- logs -------------------------------------------------------------------

    def append_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        stamp = objects.utcnow_nanos()
        with self.lock:
            lines = self.logs.setdefault((namespace, pod, container), [])
            for line in text.splitlines():
                lines.append(LogLine(stamp, line))
            self._emit_log(namespace, pod)

    def _emit_log(self, namespace: str, pod: str) -> None:
        marker = {"metadata": {"namespace": namespace, "name": pod}}
        for w in list(self.watchers):
            if w.wants("pods/log", namespace):
                w.loop.call_soon_threadsafe(w.queue.put_nowait, ("LOG", marker))

    def log_lines(self, namespace: str, pod: str, container: str) -> list[LogLine]:
        with self.lock:
            return list(self.logs.get((namespace, pod, container), []))

    def forget_logs(self, namespace: str, pod: str) -> None:
        for key in [k for k in self.logs if k[0] == namespace and k[1] == pod]:
            del self.logs[key]

    # --- helpers for the Python API --------------------------------------------

    def names(self, plural: str, namespace: str | None) -> list[str]:
        with self.lock:
            return [o["metadata"]["name"] for o in self.raw_list(plural, namespace)]

    def pods_owned_by(self, owner_uid: str, namespace: str) -> Iterable[dict]:
        for p in self.raw_list("pods", namespace):
            for ref in p["metadata"].get("ownerReferences", []):
                if ref.get("uid") == owner_uid:
                    yield p
                    break

    def pod_dir(self, namespace: str, pod: str) -> Path:
        return self.workdir / self.name / namespace / pod

    def describe(self) -> dict[str, Any]:
        with self.lock:
            return {plural: sorted(f"{ns}/{name}" if ns else name for ns, name in table)
                    for plural, table in self.objects.items() if table}
