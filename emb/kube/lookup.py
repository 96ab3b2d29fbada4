"""Finding a component's pods: the only lookups a run pays for (one `get
pods,replicasets`, a Deployment's selector once, then cached), and choosing
the pod and container a task runs in from what they return (SPEC §4). The pure
facts about a pod are emb.kube.pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple

from emb import state
from emb.errors import CannotStart, UsageError
from emb.kube import kubectl
from emb.kube.errors import Failure, error_for, namespace_not_found, parse_failure
from emb.kube.names import check_name
from emb.kube.pods import (Pod, container_status, describe_pod, is_terminating, is_windows, oldest_first,
                           pick_container, pick_pod, pod_name, revisions, rollout_warning, state_words)
from emb.kube.selectors import deployment_selector
from emb.kube.target import Target
from emb.model import pod_source


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
