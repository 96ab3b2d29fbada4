"""A component's pods: finding them (the only lookups a run pays for), and
choosing the pod and container a task runs in (pure), SPEC §4."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, NamedTuple

from emb.errors import CannotStart, UsageError
from emb.kube import kubectl
from emb.kube.errors import namespace_not_found, parse_failure
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
    return [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]


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


def pick_pod(pods: Iterable[Pod], exclude: Iterable[str] = ()) -> Pod | None:
    """The first Ready pod, oldest first, ties by name (SPEC §4 "Which pod")."""
    skip = set(exclude)
    ready = [p for p in pods if is_ready(p) and pod_name(p) not in skip]
    ordered = oldest_first(ready)
    return ordered[0] if ordered else None


def pod_status(pod: Pod) -> str:
    """A one-word status like kubectl's STATUS column."""
    if is_terminating(pod):
        return "Terminating"
    status = pod.get("status") or {}
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
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    return f"{ready}/{len(pod_containers(pod))}"


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
    listed = ", ".join(names) or "none"
    if configured:
        if configured in names:
            return configured
        hints = [f"set components.{component}.kubernetes.container in .emb.yml to one of: {listed}"]
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
# Finding a component's pods: the only lookups a run pays for.


class PodSet(NamedTuple):
    """A component's pods as found in the cluster."""

    selector: str
    deployment: str | None  # set when the selector came from a Deployment
    pods: tuple[Pod, ...]


def component_pods(target: Target, component, settings) -> PodSet:
    """One `get pods -l SEL` (plus one `get deployment` when the selector comes
    from a Deployment). Empty results are checked for a missing namespace."""
    kind, value = pod_source(component, settings)
    deployment = None
    if kind == "deployment":
        deployment = value
        doing = f"looking up deployment {value} of component {component.name}"
        proc = kubectl.run_kubectl(target, ["get", "deployment", value, "-o", "json"])
        if proc.returncode != 0:
            failure = parse_failure(proc.stderr)
            if failure.kind == "not_found" and kubectl.namespace_missing(target):
                raise namespace_not_found(target)
            raise kubectl.explain(
                target, failure, doing=doing, command=target.shell("get", "deployment", value)
            )
        dep = kubectl.parse_json(proc.stdout, target, ["get", "deployment", value], doing)
        selector = deployment_selector(dep)
        if not selector:
            raise CannotStart(
                f"deployment {value} has an empty spec.selector; emb cannot tell its pods",
                [
                    f"check it: {target.shell('get', 'deployment', value, '-o', 'yaml')}",
                    f"or set components.{component.name}.kubernetes.selector in .emb.yml",
                ],
            )
    else:
        selector = value
    listing = kubectl.get_json(
        target,
        ["get", "pods", "-l", selector],
        doing=f"listing the pods of component {component.name}",
    )
    pods = tuple(listing.get("items") or [])
    if not pods and deployment is None and kubectl.namespace_missing(target):
        raise namespace_not_found(target)
    return PodSet(selector, deployment, pods)


def no_pods_error(target: Target, podset: PodSet, component: str) -> CannotStart:
    via = f" (deployment {podset.deployment}'s selector)" if podset.deployment else ""
    return CannotStart(
        f"no pods match selector {podset.selector}{via} in namespace {target.namespace} for component {component}",
        [
            f"check: {target.shell('get', 'pods', '-l', podset.selector)}",
            (
                f"the pods come from components.{component}.kubernetes.selector, kubernetes.selectorLabel, "
                "or the deployment named after the component (docs/kubernetes.md)"
            ),
        ],
    )


def no_ready_pod_error(target: Target, podset: PodSet, component: str) -> CannotStart:
    shown = [describe_pod(p) for p in oldest_first(podset.pods)]
    more = f", … ({len(shown) - 5} more)" if len(shown) > 5 else ""
    first = pod_name(oldest_first(podset.pods)[0])
    return CannotStart(
        f"no Ready pod for component {component} in namespace {target.namespace}: {', '.join(shown[:5])}{more}",
        [
            f"check: {target.shell('get', 'pods', '-l', podset.selector)}",
            f"see why: {target.shell('describe', 'pod', first)}",
            "or pick a pod yourself with --pod NAME",
        ],
    )


class PodChoice(NamedTuple):
    pod: str
    container: str
    selector: str | None = None  # None when the pod was given with --pod
    deployment: str | None = None


def choose_pod(
    target: Target, component, settings, *, pod: str | None = None, exclude: Iterable[str] = ()
) -> PodChoice:
    """SPEC §4: the pod and container a component's task runs in.

    `--pod NAME` with a configured container needs no lookup at all (kubectl
    exec reports a missing pod or container itself; see retry/exec errors);
    otherwise one `get pod NAME`. Without --pod: `component_pods`, then the
    first Ready pod, oldest first.
    """
    configured = component.kubernetes.container
    if pod:
        if configured:
            return PodChoice(pod, configured)
        doc = kubectl.get_json(target, ["get", "pod", pod], doing=f"looking up pod {pod}")
        return PodChoice(pod, pick_container(doc, None, component.name, target))
    podset = component_pods(target, component, settings)
    if not podset.pods:
        raise no_pods_error(target, podset, component.name)
    chosen = pick_pod(podset.pods, exclude=exclude)
    if chosen is None:
        raise no_ready_pod_error(target, podset, component.name)
    container = pick_container(chosen, configured, component.name, target)
    return PodChoice(pod_name(chosen), container, podset.selector, podset.deployment)



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
