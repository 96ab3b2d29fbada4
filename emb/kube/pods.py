"""Pods, pure: readiness, revisions, status words, the pod and container a task
runs in among those found, and the `emb kubernetes ps` rows (SPEC §4). The
lookups that find a component's pods are emb.kube.lookup."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from emb.errors import CannotStart, UsageError
from emb.kube.selectors import deployment_selector, parse_selector, selector_matches
from emb.kube.target import Target
from emb.model import pod_source

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

Pod = Mapping[str, Any]  # a pod as `kubectl get pods -o json` returns it


def pod_name(pod: Pod) -> str:
    return (pod.get("metadata") or {}).get("name", "")


def pod_labels(pod: Pod) -> Mapping[str, str]:
    return (pod.get("metadata") or {}).get("labels") or {}


def pod_containers(pod: Pod) -> list[str]:
    """The app containers (the ones a default choice is made from)."""
    return [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]


def all_containers(pod: Pod) -> list[str]:
    """Every container that may be named: app, init (native sidecars among them), ephemeral."""
    spec = pod.get("spec") or {}
    return [c.get("name", "") for key in ("containers", "initContainers", "ephemeralContainers")
            for c in spec.get(key) or []]


def container_status(pod: Pod, name: str) -> Mapping[str, Any] | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(key) or []:
            if cs.get("name") == name:
                return cs
    return None


def state_words(cs: Mapping[str, Any]) -> str:
    """`CrashLoopBackOff, last state OOMKilled (exit 137)` from a container status."""
    state = cs.get("state") or {}
    words = []
    for kind in ("waiting", "terminated"):
        if state.get(kind):
            words.append(state[kind].get("reason") or kind)
    last = (cs.get("lastState") or {}).get("terminated") or {}
    if last:
        code = last.get("exitCode")
        words.append(f"last state {last.get('reason') or 'Terminated'}"
                     + (f" (exit {code})" if code is not None else ""))
    return ", ".join(words) or "not running"


def is_windows(pod: Pod) -> bool:
    spec = pod.get("spec") or {}
    return ((spec.get("os") or {}).get("name") == "windows"
            or (spec.get("nodeSelector") or {}).get("kubernetes.io/os") == "windows")


def is_terminating(pod: Pod) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_ready(pod: Pod) -> bool:
    """Condition Ready=True and not being deleted (SPEC §4)."""
    if is_terminating(pod):
        return False
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def created_at(pod: Pod) -> datetime | None:
    stamp = (pod.get("metadata") or {}).get("creationTimestamp")
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


def oldest_first(pods: Iterable[Pod]) -> list[Pod]:
    """Oldest creationTimestamp first, ties by name; pods without a timestamp last."""
    return sorted(pods, key=lambda p: (created_at(p) or _FAR_FUTURE, pod_name(p)))


REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def owner_replicaset(pod: Pod) -> str | None:
    """The name its revision is known by: the owning ReplicaSet, else (StatefulSet,
    DaemonSet pods) the controller-revision-hash label, as a ControllerRevision name."""
    meta = pod.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet":
            return ref.get("name")
    revision = (meta.get("labels") or {}).get("controller-revision-hash")
    if revision:
        owner = next((r.get("name") for r in meta.get("ownerReferences") or []
                      if r.get("kind") in ("StatefulSet", "DaemonSet")), None)
        # StatefulSet pods carry the ControllerRevision's name, DaemonSet pods its hash.
        return revision if owner is None or revision.startswith(owner + "-") else f"{owner}-{revision}"
    return None


def revisions(replicasets: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """ReplicaSet name -> its Deployment revision (annotation); ControllerRevision name
    (StatefulSets, DaemonSets) -> its .revision."""
    out = {}
    for rs in replicasets:
        meta = rs.get("metadata") or {}
        try:
            if rs.get("kind") == "ControllerRevision":
                out[meta.get("name", "")] = int(rs.get("revision"))
            else:
                out[meta.get("name", "")] = int((meta.get("annotations") or {}).get(REVISION_ANNOTATION, ""))
        except (TypeError, ValueError):
            continue
    return out


def ordered_ready(pods: Iterable[Pod], replicasets: Iterable[Mapping[str, Any]] = (),
                  exclude: Iterable[str] = ()) -> list[Pod]:
    """Ready pods in SPEC §4 order: those of the newest ReplicaSet revision first (so a
    task started right after a deploy runs the new image), then oldest first, ties by name."""
    skip = set(exclude)
    ready = [p for p in pods if is_ready(p) and pod_name(p) not in skip]
    revs = revisions(replicasets)
    newest = max((revs.get(owner_replicaset(p) or "", -1) for p in ready), default=-1)
    return sorted(oldest_first(ready), key=lambda p: revs.get(owner_replicaset(p) or "", -1) != newest)


def pick_pod(pods: Iterable[Pod], exclude: Iterable[str] = (),
             replicasets: Iterable[Mapping[str, Any]] = ()) -> Pod | None:
    """The first Ready pod (SPEC §4 "Which pod"): newest revision, then oldest, then name."""
    ordered = ordered_ready(pods, replicasets, exclude)
    return ordered[0] if ordered else None


def rollout_warning(pods: Iterable[Pod], replicasets: Iterable[Mapping[str, Any]], chosen: Pod) -> str | None:
    """A warning when the component's live pods span several revisions (a rollout is
    in progress), saying which revision the chosen pod runs."""
    revs = revisions(replicasets)
    live = [p for p in pods if not is_terminating(p) and owner_replicaset(p) in revs]
    seen = sorted({revs[owner_replicaset(p)] for p in live})
    if len(seen) < 2:
        return None
    mine = revs.get(owner_replicaset(chosen) or "")
    newest = seen[-1]
    if mine == newest:
        return f"a rollout is in progress (revisions {', '.join(map(str, seen))}); running in pod {pod_name(chosen)} of the newest revision, {newest}"
    return (f"a rollout is in progress and no pod of the newest revision ({newest}) is Ready yet: "
            f"running in pod {pod_name(chosen)} of revision {mine} (the previous image)")


def pod_status(pod: Pod) -> str:
    """A one-word status like kubectl's STATUS column (init containers as `Init:N/M`,
    `Init:CrashLoopBackOff`; native sidecars do not hold the pod in Init)."""
    if is_terminating(pod):
        return "Terminating"
    status = pod.get("status") or {}
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
                if c.get("restartPolicy") == "Always"}
    inits = [cs for cs in status.get("initContainerStatuses") or [] if cs.get("name") not in sidecars]
    for number, cs in enumerate(inits):
        state = cs.get("state") or {}
        terminated = state.get("terminated") or {}
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            return f"Init:{terminated.get('reason') or 'Error'}" if terminated.get("reason") else f"Init:ExitCode:{terminated.get('exitCode')}"
        waiting = (state.get("waiting") or {}).get("reason")
        if waiting and waiting != "PodInitializing":
            return f"Init:{waiting}"
        return f"Init:{number}/{len(inits)}"
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        waiting = state.get("waiting") or {}
        if waiting.get("reason"):
            return waiting["reason"]
        terminated = state.get("terminated") or {}
        if terminated.get("reason") and status.get("phase") != "Running":
            return terminated["reason"]
    return status.get("reason") or status.get("phase") or "Unknown"


def ready_count(pod: Pod) -> str:
    """kubectl's READY: app containers and native sidecars."""
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
                if c.get("restartPolicy") == "Always"}
    status = pod.get("status") or {}
    statuses = [*(status.get("containerStatuses") or []),
                *(cs for cs in status.get("initContainerStatuses") or [] if cs.get("name") in sidecars)]
    ready = sum(1 for cs in statuses if cs.get("ready"))
    return f"{ready}/{len(pod_containers(pod)) + len(sidecars)}"


def restart_count(pod: Pod) -> int:
    return sum(
        int(cs.get("restartCount") or 0)
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    )


def describe_pod(pod: Pod) -> str:
    """`api-1 (Running, not ready)` for error messages."""
    readiness = (
        "terminating" if is_terminating(pod) else ("ready" if is_ready(pod) else "not ready")
    )
    phase = (pod.get("status") or {}).get("phase") or "Unknown"
    return f"{pod_name(pod)} ({phase}, {readiness})"


def human_age(then: datetime | None, now: datetime | None = None) -> str:
    """Compact age like kubectl's AGE column: 45s, 3m20s, 95m, 5h12m, 30h, 3d4h, 40d, 2y10d."""
    if then is None:
        return "<unknown>"
    now = now or datetime.now(timezone.utc)
    s = max(0, int((now - then).total_seconds()))
    m, h, d = s // 60, s // 3600, s // 86400
    if s < 120:
        return f"{s}s"
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if d < 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 730:
        return f"{d}d"
    years, days = d // 365, d % 365
    return f"{years}y{days}d" if years < 8 and days else f"{years}y"


def container_yaml_hint(component: str, container: str) -> str:
    return f"components: {{{component}: {{kubernetes: {{container: {container}}}}}}}"


def pick_container(
    pod: Pod, configured: str | None, component: str, target: Target | None = None
) -> str:
    """SPEC §4 "Which container": configured (must exist) > default-container
    annotation > the only container > error listing the containers."""
    names = pod_containers(pod)
    pod_id = pod_name(pod)
    listed = ", ".join(all_containers(pod)) or "none"
    if configured:
        if configured in all_containers(pod):
            return configured
        hints = [f"set components.{component}.kubernetes.container in .emb.yml (or -c) to one of: {listed}"]
        if target:
            hints.append(
                f"check: {target.shell('get', 'pod', pod_id, '-o', 'jsonpath={.spec.containers[*].name}')}"
            )
        return _raise(
            CannotStart(
                f"container {configured!r} not found in pod {pod_id} (containers: {listed})", hints
            )
        )
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        DEFAULT_CONTAINER_ANNOTATION
    )
    if annotated and annotated in names:
        return annotated
    if len(names) == 1:
        return names[0]
    if not names:
        return _raise(CannotStart(f"pod {pod_id} has no containers"))
    return _raise(
        CannotStart(
            f"pod {pod_id} has {len(names)} containers ({listed}); emb cannot tell which one runs component {component}'s tasks",
            [
                f"choose one in .emb.yml:  {container_yaml_hint(component, names[0])}",
                f"or annotate the pod template with {DEFAULT_CONTAINER_ANNOTATION}: {names[0]}",
            ],
        )
    )


def _raise(err: Exception):
    raise err


# ---------------------------------------------------------------------------
# Which component a pod belongs to (`emb kubernetes ps`), which Deployments
# stand for components (`emb kubernetes restart`).


def component_matchers(monorepo, settings, deployments: Mapping[str, Mapping]) -> tuple[list, list[str]]:
    """([(component, selector requirements)] in declaration order, warnings).

    A component whose pods come from a Deployment is matched by that
    Deployment's selector (when it is in `deployments`)."""
    out, warnings = [], []
    for component in monorepo.components.values():
        kind, value = pod_source(component, settings)
        selector = (value if kind == "selector"
                    else (deployment_selector(deployments[value]) if value in deployments else ""))
        if not selector:
            continue
        try:
            out.append((component.name, parse_selector(selector)))
        except UsageError:
            warnings.append(f"component {component.name}: cannot read selector {selector!r}; "
                            "its pods show no component")
    return out, warnings


def pod_rows(pods: Iterable[Pod], matchers) -> list[dict]:
    """`emb kubernetes ps` rows: name, component, ready, status, restarts, age."""
    rows = []
    for pod in sorted(pods, key=pod_name):
        labels = pod_labels(pod)
        component = next((name for name, reqs in matchers if selector_matches(reqs, labels)), None)
        rows.append({
            "name": pod_name(pod),
            "component": component,
            "ready": ready_count(pod),
            "status": pod_status(pod),
            "restarts": restart_count(pod),
            "age": human_age(created_at(pod)),
            "created": (pod.get("metadata") or {}).get("creationTimestamp"),
            "containers": pod_containers(pod),
        })
    return rows


def deployment_names(monorepo, names: Iterable[str]) -> list[str]:
    """DEPLOYMENT arguments; a component name stands for its deployment."""
    out = []
    for name in names:
        component = monorepo.components.get(name)
        out.append((component.kubernetes.deployment or component.name) if component is not None else name)
    return list(dict.fromkeys(out))
