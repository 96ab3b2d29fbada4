"""A component's pods: finding them (the only lookups a run pays for), and
choosing the pod and container a task runs in (pure), SPEC §4."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, NamedTuple

from pathlib import Path

from emb import state
from emb.errors import CannotStart, UsageError
from emb.kube import kubectl
from emb.kube.names import check_name
from emb.kube.errors import Failure, error_for, namespace_not_found, parse_failure
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
# Finding a component's pods: the only lookups a run pays for.


class PodSet(NamedTuple):
    """A component's pods as found in the cluster (and the ReplicaSets among them)."""

    selector: str
    deployment: str | None  # set when the selector came from a Deployment
    pods: tuple[Pod, ...]
    replicasets: tuple[Mapping[str, Any], ...] = ()


SELECTOR_CACHE = "kube-selectors.json"
_CACHE_KEY = "v1"


def _cache_file(monorepo) -> Path | None:
    if monorepo is None:
        return None
    return state.flavor_dir(monorepo.root, monorepo.flavor) / "cache" / SELECTOR_CACHE


def _cache_slot(target: Target, name: str, kind: str = "deployment") -> str:
    return "\t".join((target.context_name or "", target.server or "", target.namespace, kind, name))


def cached_selector(monorepo, target: Target, name: str, kind: str = "deployment") -> str | None:
    """A workload's spec.selector is immutable: once read, it is kept under .emb/."""
    file = _cache_file(monorepo)
    records = state.read_record(file, _CACHE_KEY) if file else None
    value = (records or {}).get(_cache_slot(target, name, kind)) if isinstance(records, dict) else None
    return value if isinstance(value, str) and value else None


def remember_selector(monorepo, target: Target, name: str, selector: str | None, kind: str = "deployment") -> None:
    file = _cache_file(monorepo)
    if file is None:
        return
    records = state.read_record(file, _CACHE_KEY)
    records = dict(records) if isinstance(records, dict) else {}
    if selector:
        records[_cache_slot(target, name, kind)] = selector
    else:
        records.pop(_cache_slot(target, name, kind), None)
    state.write_record(file, _CACHE_KEY, records)


POD_CACHE = "kube-pods.json"


def _pod_slot(target: Target, component) -> str:
    k = component.kubernetes
    return "\t".join((target.context_name or "", target.server or "", target.namespace, component.name,
                      k.deployment or "", k.selector or "", k.statefulset or "", k.daemonset or ""))


def cached_choice(monorepo, target: Target, component, container: str | None) -> "PodChoice | None":
    """The pod (and container) the last run of this component chose, if any."""
    if monorepo is None:
        return None
    file = state.flavor_dir(monorepo.root, monorepo.flavor) / "cache" / POD_CACHE
    records = state.read_record(file, _CACHE_KEY)
    value = records.get(_pod_slot(target, component)) if isinstance(records, dict) else None
    if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, (str, type(None))) for v in value)):
        return None
    pod, chosen, selector, deployment = value
    if not pod or not chosen or (container and chosen != container):
        return None
    return PodChoice(pod, chosen, selector, deployment)


def remember_choice(monorepo, target: Target, component, choice: "PodChoice") -> None:
    if monorepo is None:
        return
    file = state.flavor_dir(monorepo.root, monorepo.flavor) / "cache" / POD_CACHE
    records = state.read_record(file, _CACHE_KEY)
    records = dict(records) if isinstance(records, dict) else {}
    slot = _pod_slot(target, component)
    value = [choice.pod, choice.container, choice.selector, choice.deployment]
    if records.get(slot) != value:
        records[slot] = value
        state.write_record(file, _CACHE_KEY, records)


def deployment_selector_of(target: Target, component, name: str, kind: str = "deployment") -> str:
    """One `get deployment|statefulset|daemonset NAME`: its spec.selector as a -l string."""
    doing = f"looking up {kind} {name} of component {component.name}"
    proc = kubectl.run_kubectl(target, ["get", kind, "-o", "json", "--", name])
    if proc.returncode != 0:
        failure = parse_failure(proc.stderr)
        if failure.kind == "not_found" and kubectl.namespace_missing(target):
            raise namespace_not_found(target)
        if failure.kind == "not_found" and kind != "deployment":
            raise CannotStart(f"{kind} {name!r} not found in namespace {target.namespace} ({target.describe()})",
                              [f"list them: {target.shell('get', kind + 's')}"])
        raise kubectl.explain(target, failure, doing=doing, command=target.shell("get", kind, name))
    dep = kubectl.parse_json(proc.stdout, target, ["get", kind, name], doing)
    selector = deployment_selector(dep)
    if not selector:
        raise CannotStart(
            f"{kind} {name} has an empty spec.selector; emb cannot tell its pods",
            [
                f"check it: {target.shell('get', kind, name, '-o', 'yaml')}",
                f"or set components.{component.name}.kubernetes.selector in .emb.yml",
            ],
        )
    return selector


def _list(target: Target, component, selector: str, kind: str = "deployment"
          ) -> tuple[tuple[Pod, ...], tuple[Mapping, ...]]:
    """One `get pods,replicasets -l SEL -o json` (controllerrevisions for StatefulSets and
    DaemonSets): the pods and what tells their revisions."""
    revisions = "controllerrevisions" if kind in ("statefulset", "daemonset") else "replicasets"
    listing = kubectl.get_json(
        target,
        ["get", f"pods,{revisions}", f"--selector={selector}"],
        doing=f"listing the pods of component {component.name}",
    )
    items = listing.get("items") or []
    return (tuple(i for i in items if i.get("kind") in (None, "Pod")),
            tuple(i for i in items if i.get("kind") in ("ReplicaSet", "ControllerRevision")))


def component_pods(target: Target, component, settings, monorepo=None) -> PodSet:
    """One `get pods,replicasets -l SEL`; a Deployment's selector comes from the cache
    under .emb/ or one `get deployment` (then cached). A cached selector that matches
    nothing is read again once. Empty results are checked for a missing namespace."""
    kind, value = pod_source(component, settings)
    deployment = None
    if kind in ("deployment", "statefulset", "daemonset"):
        configured = getattr(component.kubernetes, kind)
        check_name(kind, value, f"components.{component.name}.kubernetes.{kind}"
                   if configured else f"component name {component.name}")
        deployment = value if kind == "deployment" else f"{kind}/{value}"
        selector = cached_selector(monorepo, target, value, kind)
        if selector:
            pods, replicasets = _list(target, component, selector, kind)
            if pods:
                return PodSet(selector, deployment, pods, replicasets)
        fresh = deployment_selector_of(target, component, value, kind)
        if fresh != selector:
            remember_selector(monorepo, target, value, fresh, kind)
            pods, replicasets = _list(target, component, fresh, kind)
        return PodSet(fresh, deployment, pods, replicasets)
    selector = value
    pods, replicasets = _list(target, component, selector)
    if not pods and kubectl.namespace_missing(target):
        raise namespace_not_found(target)
    return PodSet(selector, deployment, pods, replicasets)


def no_pods_error(target: Target, podset: PodSet, component: str) -> CannotStart:
    workload = podset.deployment and (podset.deployment if "/" in podset.deployment
                                      else f"deployment {podset.deployment}")
    via = f" ({workload}'s selector)" if workload else ""
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
    warning: str | None = None  # e.g. a rollout in progress


def check_runnable(target: Target, pod: Pod, container: str) -> None:
    """Before the exec: a Windows pod has no sh; a container that is not running
    (crash-looping, finished init container) cannot be exec'd into."""
    name = pod_name(pod)
    if is_windows(pod):
        raise error_for(target, Failure("windows", ""), doing="", pod=name)
    cs = container_status(pod, container)
    if cs is not None and not (cs.get("state") or {}).get("running"):
        raise CannotStart(
            f"container {container!r} of pod {name} is not running: {state_words(cs)} ({target.describe()})",
            [f"see why: {target.shell('describe', 'pod', name)}",
             f"its last output: {target.shell('logs', name, '-c', container, '--previous')}"],
        )


def match_prefix(target: Target, prefix: str) -> Pod:
    """--pod PREFIX: the one pod of the namespace whose name is PREFIX or starts with it."""
    listing = kubectl.get_json(target, ["get", "pods"], doing=f"looking up pod {prefix}")
    items = [p for p in listing.get("items") or [] if pod_name(p).startswith(prefix)]
    exact = [p for p in items if pod_name(p) == prefix]
    if exact:
        return exact[0]
    if len(items) == 1:
        return items[0]
    if not items:
        raise CannotStart(f"no pod named {prefix!r} (or starting with it) in namespace {target.namespace}",
                          [f"list the pods: {target.shell('get', 'pods')}"])
    names = ", ".join(sorted(pod_name(p) for p in items)[:8])
    raise UsageError(f"--pod {prefix}: several pods start with it: {names}", ["give more of the name"])


def choose_pod(
    target: Target, component, settings, *, pod: str | None = None, exclude: Iterable[str] = (),
    container: str | None = None, monorepo=None, podset: PodSet | None = None,
) -> PodChoice:
    """SPEC §4: the pod and container a component's task runs in.

    `--pod NAME` with a known container (-c or kubernetes.container) needs no
    lookup at all (kubectl exec reports a missing pod or container itself; a
    name prefix is resolved after that failure); otherwise one `get pods` to
    resolve the name (or a unique prefix). Without --pod: `component_pods`,
    then the first Ready pod (newest revision, oldest first).
    """
    configured = container or component.kubernetes.container
    if pod:
        check_name("pod", pod, "--pod")
    if configured:
        check_name("container", configured, "-c/--container" if container else
                   f"components.{component.name}.kubernetes.container")
    if pod:
        if configured:
            return PodChoice(check_name("pod", pod, "--pod"), configured)
        doc = match_prefix(target, pod)
        chosen = pick_container(doc, None, component.name, target)
        check_runnable(target, doc, chosen)
        return PodChoice(pod_name(doc), chosen)
    podset = podset or component_pods(target, component, settings, monorepo)
    if not podset.pods:
        raise no_pods_error(target, podset, component.name)
    chosen = pick_pod(podset.pods, exclude=exclude, replicasets=podset.replicasets)
    if chosen is None:
        raise no_ready_pod_error(target, podset, component.name)
    name = pick_container(chosen, configured, component.name, target)
    check_runnable(target, chosen, name)
    return PodChoice(pod_name(chosen), name, podset.selector, podset.deployment,
                     rollout_warning(podset.pods, podset.replicasets, chosen))


def newest_running(podset: PodSet) -> Pod | None:
    """`emb kubernetes shell` with no Ready pod: the newest Running one."""
    running = [p for p in podset.pods if not is_terminating(p)
               and (p.get("status") or {}).get("phase") == "Running"]
    return oldest_first(running)[-1] if running else None


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
