"""The little bit of kube-controller-manager the simulator needs.

- Deployments own ReplicaSets (one per pod template, named DEPLOY-HASH, annotated with
  `deployment.kubernetes.io/revision`), ReplicaSets own pods (named RS-xxxxx). A
  template change rolls out like pkg/controller/deployment/rolling.go: the new
  ReplicaSet grows while `replicas + maxSurge` allows, old ones shrink only while
  `replicas - maxUnavailable` pods stay available (25%/25% by default, surge rounded
  up, unavailability down). So old pods terminate only once new ones are Ready, and
  old- and new-revision pods are Ready side by side. `Recreate` scales old to zero
  first and waits for their pods to be gone.
- StatefulSets make `NAME-0..N-1` one at a time (OrderedReady: the next once the
  previous is Running and Ready; Parallel: all at once) and update them in reverse
  ordinal order, one pod at a time, recreating each with its stable name.
- DaemonSets run one pod per node that fits (nodeSelector, taints), updated with
  maxUnavailable 1: delete the old pod, then create the new one.
- StatefulSets and DaemonSets record their templates as ControllerRevisions, which
  `kubectl rollout history/undo` read.

Every change goes through `sync()`, a small work queue drained to a fixed point,
so a pod becoming Ready (after `pod_start_delay`) or disappearing (after
`termination_delay`) moves a rollout on. Call these with `cluster.lock` held.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from . import kubelet, objects
from .store import Cluster

HASH_LABEL = objects.HASH_LABEL
REVISION = "deployment.kubernetes.io/revision"
CONTROLLER_REVISION_HASH = "controller-revision-hash"


# --- the work queue ----------------------------------------------------------------


def sync(cluster: Cluster, plural: str, namespace: str, name: str) -> None:
    """Reconcile an object soon: now, or after the sync that is running finishes."""
    cluster.sync_queue.append((plural, namespace, name))
    if cluster.syncing:
        return
    cluster.syncing = True
    try:
        for _ in range(10000):  # a fixed point is reached long before; this guards bugs
            if not cluster.sync_queue:
                break
            item = cluster.sync_queue.pop(0)
            while item in cluster.sync_queue:
                cluster.sync_queue.remove(item)
            _run(cluster, *item)
    finally:
        cluster.syncing = False
        cluster.sync_queue.clear()


def _run(cluster: Cluster, plural: str, namespace: str, name: str) -> None:
    obj = cluster.raw(plural, namespace, name)
    if obj is None:
        return
    before = cluster.resource_version
    {"deployments": reconcile_deployment, "replicasets": reconcile_replicaset,
     "statefulsets": reconcile_statefulset, "daemonsets": reconcile_daemonset}[plural](cluster, obj)
    if cluster.resource_version != before:  # something changed: look again, until nothing does
        cluster.sync_queue.append((plural, namespace, name))


def _owner(cluster: Cluster, obj: dict, kind: str, plural: str) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences", []):
        if ref.get("kind") == kind:
            owner = cluster.raw(plural, obj["metadata"]["namespace"], ref["name"])
            if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
                return owner
    return None


def _controller_of(cluster: Cluster, pod: dict) -> tuple[str, dict] | None:
    for kind, plural in (("ReplicaSet", "replicasets"), ("StatefulSet", "statefulsets"),
                         ("DaemonSet", "daemonsets")):
        owner = _owner(cluster, pod, kind, plural)
        if owner is not None:
            return plural, owner
    return None


def on_pod_changed(cluster: Cluster, pod: dict) -> None:
    """A pod appeared, went away or changed readiness: let its controller react."""
    found = _controller_of(cluster, pod)
    if found is None:
        return
    plural, owner = found
    sync(cluster, plural, owner["metadata"]["namespace"], owner["metadata"]["name"])
    if plural == "replicasets":
        dep = _owner(cluster, owner, "Deployment", "deployments")
        if dep is not None and _rolling(cluster, dep):
            sync(cluster, "deployments", dep["metadata"]["namespace"], dep["metadata"]["name"])


def refresh_owner_status(cluster: Cluster, pod: dict, *, advance_rollouts: bool = True) -> None:
    """Recompute the owner's status; with advance_rollouts, let a rollout in progress go on
    (the Python API changes readiness this way: it never makes replacement pods)."""
    found = _controller_of(cluster, pod)
    if found is None:
        return
    plural, owner = found
    ns, name = owner["metadata"]["namespace"], owner["metadata"]["name"]
    if plural == "replicasets":
        update_replicaset_status(cluster, owner)
        dep = _owner(cluster, owner, "Deployment", "deployments")
        if dep is not None and advance_rollouts and _rolling(cluster, dep):
            sync(cluster, "deployments", dep["metadata"]["namespace"], dep["metadata"]["name"])
    elif plural == "statefulsets":
        update_statefulset_status(cluster, owner)
        status = owner.get("status") or {}
        if advance_rollouts and (status.get("replicas") != owner["spec"].get("replicas", 1)
                                 or status.get("updatedReplicas") != status.get("replicas")):
            sync(cluster, plural, ns, name)
    else:
        update_daemonset_status(cluster, owner)
        status = owner.get("status") or {}
        if advance_rollouts and status.get("updatedNumberScheduled") != status.get("desiredNumberScheduled"):
            sync(cluster, plural, ns, name)


_refresh_owner_status = refresh_owner_status  # the name tests/kubesim used before


# --- pods ----------------------------------------------------------------------------


def _seed_logs(cluster: Cluster, pod: dict) -> None:
    text = (pod["metadata"].get("annotations") or {}).get(objects.LOG_ANNOTATION)
    if text:
        for _, c in kubelet.all_containers(pod):
            cluster.append_log(pod["metadata"]["namespace"], pod["metadata"]["name"], c["name"], text)


def place_pod(cluster: Cluster, pod: dict, *, phase: str = "Running", ready: bool = True) -> dict:
    """Schedule and store a pod in the given phase at once (the Python API's add_pod)."""
    kubelet.schedule(cluster, pod)
    _host_ip(cluster, pod)
    objects.set_pod_status(pod, phase=phase if pod["spec"].get("nodeName") else "Pending", ready=ready)
    cluster.put("pods", pod)
    _seed_logs(cluster, pod)
    return pod


def _host_ip(cluster: Cluster, pod: dict) -> None:
    if pod["spec"].get("nodeName"):
        pod.setdefault("status", {})["hostIP"] = kubelet.node_ip(cluster, pod["spec"]["nodeName"])


def start_pod(cluster: Cluster, pod: dict, *, ready: bool = True) -> dict:
    """Schedule and store a new pod: Pending for its start delay, then Running."""
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    kubelet.schedule(cluster, pod)
    _host_ip(cluster, pod)
    scheduled = bool(pod["spec"].get("nodeName"))
    delay = kubelet.start_delay(pod, cluster.pod_start_delay)
    if not scheduled or delay > 0:
        objects.set_pod_status(pod, phase="Pending", ready=False)
        cluster.put("pods", pod)
        if scheduled:
            uid = pod["metadata"]["uid"]

            def run() -> None:
                current = cluster.raw("pods", ns, name)
                if current is not None and current["metadata"]["uid"] == uid and not objects.is_terminating(current):
                    objects.set_pod_status(current, phase="Running", ready=ready)
                    cluster.put("pods", current)
                    on_pod_changed(cluster, current)

            cluster.schedule(delay, run)
    else:
        objects.set_pod_status(pod, phase="Running", ready=ready)
        cluster.put("pods", pod)
    _seed_logs(cluster, pod)
    # Only the owner's status here: the caller is reconciling it already.
    refresh_owner_status(cluster, pod, advance_rollouts=False)
    return pod


def terminate_pod(cluster: Cluster, namespace: str, name: str, *, grace: float | None = None,
                  replace: bool = True, notify_on_removal: bool | None = None) -> dict | None:
    """Delete a pod gracefully: terminating for `termination_delay` seconds, then gone.

    replace=True (an API delete) lets the owner react now and once the pod is gone;
    controllers pass replace=False, notify_on_removal=True (they recreate a pod only
    once the old one is gone); the Python API passes replace=False alone, so tests see
    exactly the pods they made.
    """
    pod = cluster.raw("pods", namespace, name)
    if pod is None:
        return None
    notify = replace if notify_on_removal is None else notify_on_removal
    delay = cluster.termination_delay if grace is None else min(grace, cluster.termination_delay)
    if not pod["spec"].get("nodeName"):
        delay = 0  # an unscheduled pod goes at once (pod strategy CheckGracefulDelete)
    uid = pod["metadata"]["uid"]

    def finish() -> None:
        current = cluster.raw("pods", namespace, name)
        if current is not None and current["metadata"]["uid"] == uid:
            remove_pod(cluster, namespace, name, notify=notify)

    if delay > 0 and not objects.is_terminating(pod):
        pod["metadata"]["deletionTimestamp"] = objects.timestamp()
        pod["metadata"]["deletionGracePeriodSeconds"] = int(pod["spec"].get("terminationGracePeriodSeconds", 30))
        cluster.put("pods", pod)
    snapshot = copy.deepcopy(pod)
    cluster.schedule(delay, finish)
    if replace:
        on_pod_changed(cluster, snapshot)
    else:
        refresh_owner_status(cluster, snapshot, advance_rollouts=False)
    return snapshot


def mark_terminating(cluster: Cluster, namespace: str, name: str) -> dict | None:
    """Give a pod a deletionTimestamp and leave it there (until deleted)."""
    pod = cluster.raw("pods", namespace, name)
    if pod is None:
        return None
    pod["metadata"]["deletionTimestamp"] = objects.timestamp()
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    cluster.put("pods", pod)
    refresh_owner_status(cluster, pod, advance_rollouts=False)
    return pod


def remove_pod(cluster: Cluster, namespace: str, name: str, *, notify: bool = False) -> None:
    pod = cluster.remove("pods", namespace, name)
    if pod is not None:
        cluster.forget_logs(namespace, name)
        if notify:
            on_pod_changed(cluster, pod)
        else:
            refresh_owner_status(cluster, pod, advance_rollouts=False)


def _active(pods) -> list[dict]:
    return [p for p in pods if not objects.is_terminating(p)]


# --- replicasets ------------------------------------------------------------------


def reconcile_replicaset(cluster: Cluster, rs: dict) -> None:
    ns = rs["metadata"]["namespace"]
    active = _active(cluster.pods_owned_by(rs["metadata"]["uid"], ns))
    want = int(rs["spec"].get("replicas", 1))
    if len(active) < want:
        created = objects.timestamp()
        for _ in range(want - len(active)):
            start_pod(cluster, new_pod_for(cluster, rs, created))
    elif len(active) > want:
        # Like the real controller: unscheduled, then pending, then not-ready pods go first, then the newest.
        victims = sorted(active, key=lambda p: (bool(p["spec"].get("nodeName")),
                                                p["status"].get("phase") == "Running",
                                                objects.pod_is_ready(p),
                                                _negated(p["metadata"]["creationTimestamp"]),
                                                p["metadata"]["name"]))
        for p in victims[: len(active) - want]:
            terminate_pod(cluster, ns, p["metadata"]["name"], replace=False, notify_on_removal=True)
    update_replicaset_status(cluster, rs)


def _negated(stamp: str) -> tuple:
    return tuple(-ord(ch) for ch in stamp)  # newest first when sorted ascending


def new_pod_for(cluster: Cluster, rs: dict, created: str) -> dict:
    template = rs["spec"]["template"]
    ns, rs_name = rs["metadata"]["namespace"], rs["metadata"]["name"]
    while True:
        name = f"{rs_name}-{objects.random_suffix()}"
        if cluster.raw("pods", ns, name) is None:
            break
    return objects.pod(ns, name, labels=template["metadata"].get("labels"),
                       annotations=template["metadata"].get("annotations"), spec=template.get("spec"),
                       created=created, owner=rs, generate_name=f"{rs_name}-")


def update_replicaset_status(cluster: Cluster, rs: dict) -> None:
    ns = rs["metadata"]["namespace"]
    active = _active(cluster.pods_owned_by(rs["metadata"]["uid"], ns))
    ready = sum(1 for p in active if objects.pod_is_ready(p))
    status: dict[str, Any] = {
        "replicas": len(active),
        "fullyLabeledReplicas": len(active),
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    if ready:
        status["readyReplicas"] = ready
        status["availableReplicas"] = ready
    if status != rs.get("status"):
        rs["status"] = status
        cluster.put("replicasets", rs)
    dep = _owner(cluster, rs, "Deployment", "deployments")
    if dep is not None:
        update_deployment_status(cluster, dep)


# --- deployments ------------------------------------------------------------------


def _template_without_hash(template: dict) -> dict:
    t = copy.deepcopy(template)
    (t.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return t


def owned(cluster: Cluster, plural: str, owner: dict) -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [o for o in cluster.raw_list(plural, owner["metadata"]["namespace"])
            if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", []))]


def owned_replicasets(cluster: Cluster, dep: dict) -> list[dict]:
    return owned(cluster, "replicasets", dep)


def _revision(obj: dict) -> int:
    return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))


def _scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr: an int, or "25%" of total (pkg/util/intstr GetScaledValueFromIntOrPercent)."""
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def surge_and_unavailable(dep: dict) -> tuple[int, int]:
    """deploymentutil.ResolveFenceposts: maxSurge rounds up, maxUnavailable down; never both 0."""
    desired = int(dep["spec"].get("replicas", 1))
    rolling = (dep["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = _scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _new_replicaset(cluster: Cluster, dep: dict) -> tuple[dict, list[dict]]:
    pod_hash = objects.template_hash(_template_without_hash(dep["spec"]["template"]))
    replicasets = owned_replicasets(cluster, dep)
    top = max((_revision(rs) for rs in replicasets), default=0)
    current = next((rs for rs in replicasets if rs["metadata"].get("labels", {}).get(HASH_LABEL) == pod_hash), None)
    old = [rs for rs in replicasets if rs is not current]
    if current is None:
        current = objects.replicaset(dep, pod_hash, top + 1)
        # The first ReplicaSet gets every replica; a new one in a rollout starts at 0 and grows.
        has_old_pods = any(int(rs["spec"].get("replicas", 0)) > 0 or rs.get("status", {}).get("replicas", 0)
                           for rs in old)
        current["spec"]["replicas"] = 0 if has_old_pods else int(dep["spec"]["replicas"])
        cluster.put("replicasets", current)
    elif _revision(current) < top:  # rolling back to an older template makes it the newest revision
        current["metadata"]["annotations"][REVISION] = str(top + 1)
        cluster.put("replicasets", current)
    annotations = dep["metadata"].setdefault("annotations", {})
    if annotations.get(REVISION) != str(_revision(current)):
        annotations[REVISION] = str(_revision(current))
        cluster.put("deployments", dep)
    return current, old


def _set_replicas(cluster: Cluster, rs: dict, replicas: int, dep: dict) -> None:
    desired = int(dep["spec"]["replicas"])
    surge, _ = surge_and_unavailable(dep)
    notes = rs["metadata"].setdefault("annotations", {})
    changed = int(rs["spec"].get("replicas", 0)) != replicas
    want_notes = {"deployment.kubernetes.io/desired-replicas": str(desired),
                  "deployment.kubernetes.io/max-replicas": str(desired + surge)}
    if changed or any(notes.get(k) != v for k, v in want_notes.items()):
        rs["spec"]["replicas"] = replicas
        notes.update(want_notes)
        cluster.put("replicasets", rs)


def _rolling(cluster: Cluster, dep: dict) -> bool:
    """Is a rollout (or scale) still under way: more than one ReplicaSet with pods, or too few?"""
    replicasets = owned_replicasets(cluster, dep)
    busy = [rs for rs in replicasets if int(rs["spec"].get("replicas", 0)) > 0 or rs.get("status", {}).get("replicas")]
    pod_hash = objects.template_hash(_template_without_hash(dep["spec"]["template"]))
    new = next((rs for rs in replicasets if rs["metadata"].get("labels", {}).get(HASH_LABEL) == pod_hash), None)
    return len(busy) > 1 or new is None or int(new["spec"].get("replicas", 0)) != int(dep["spec"]["replicas"])


def _available(rs: dict) -> int:
    return int((rs.get("status") or {}).get("availableReplicas", 0))


def reconcile_deployment(cluster: Cluster, dep: dict) -> None:
    """One pass of the deployment controller (sync.go, rolling.go, recreate.go)."""
    new, old = _new_replicaset(cluster, dep)
    desired = int(dep["spec"]["replicas"])
    strategy = (dep["spec"].get("strategy") or {}).get("type", "RollingUpdate")
    for rs in [new, *old]:
        update_replicaset_status(cluster, rs)
    if dep["spec"].get("paused"):
        pass
    elif strategy == "Recreate":
        for rs in old:
            _set_replicas(cluster, rs, 0, dep)
        for rs in old:
            reconcile_replicaset(cluster, rs)
        if not any(next(iter(cluster.pods_owned_by(rs["metadata"]["uid"], dep["metadata"]["namespace"])), None)
                   for rs in old):  # every old pod gone, terminating ones included
            _set_replicas(cluster, new, desired, dep)
    else:
        surge, unavailable = surge_and_unavailable(dep)
        # reconcileNewReplicaSet
        total = sum(int(rs["spec"].get("replicas", 0)) for rs in [new, *old])
        new_replicas = int(new["spec"].get("replicas", 0))
        if new_replicas > desired:
            _set_replicas(cluster, new, desired, dep)
        elif new_replicas < desired and total < desired + surge:
            _set_replicas(cluster, new, new_replicas + min(desired + surge - total, desired - new_replicas), dep)
        else:
            _set_replicas(cluster, new, new_replicas, dep)
        # reconcileOldReplicaSets
        all_pods = sum(int(rs["spec"].get("replicas", 0)) for rs in [new, *old])
        min_available = desired - unavailable
        new_unavailable = int(new["spec"].get("replicas", 0)) - _available(new)
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down > 0:
            old.sort(key=lambda rs: rs["metadata"]["creationTimestamp"])
            # cleanupUnhealthyReplicas: old pods that are not available go first
            for rs in old:
                if max_scaled_down <= 0:
                    break
                replicas = int(rs["spec"].get("replicas", 0))
                unhealthy = replicas - _available(rs)
                if unhealthy <= 0:
                    continue
                cut = min(max_scaled_down, unhealthy)
                _set_replicas(cluster, rs, replicas - cut, dep)
                max_scaled_down -= cut
            # scaleDownOldReplicaSetsForRollingUpdate
            available = sum(_available(rs) for rs in [new, *old])
            budget = available - min_available
            for rs in old:
                if budget <= 0:
                    break
                replicas = int(rs["spec"].get("replicas", 0))
                cut = min(replicas, budget)
                if cut > 0:
                    _set_replicas(cluster, rs, replicas - cut, dep)
                    budget -= cut
    for rs in [new, *old]:
        reconcile_replicaset(cluster, rs)
    update_deployment_status(cluster, dep)


def update_deployment_status(cluster: Cluster, dep: dict) -> None:
    pod_hash = objects.template_hash(_template_without_hash(dep["spec"]["template"]))
    replicasets = owned_replicasets(cluster, dep)
    want = int(dep["spec"].get("replicas", 1))
    actual = sum(int(rs["status"].get("replicas", 0)) for rs in replicasets)
    spec_total = sum(int(rs["spec"].get("replicas", 0)) for rs in replicasets)
    ready = sum(int(rs["status"].get("readyReplicas", 0)) for rs in replicasets)
    available = sum(_available(rs) for rs in replicasets)
    new = next((rs for rs in replicasets if rs["metadata"].get("labels", {}).get(HASH_LABEL) == pod_hash), None)
    updated = int(new["status"].get("replicas", 0)) if new else 0
    new_rs = new["metadata"]["name"] if new else ""
    old = dep.get("status") or {}
    old_conditions = {c["type"]: c for c in old.get("conditions", [])}
    now = objects.timestamp()

    def condition(kind: str, ok: bool, reason: str, message: str) -> dict:
        prev = old_conditions.get(kind)
        status = "True" if ok else "False"
        changed = prev is None or prev["status"] != status
        return {"type": kind, "status": status,
                "lastUpdateTime": now if changed or prev.get("reason") != reason else prev["lastUpdateTime"],
                "lastTransitionTime": now if changed else prev["lastTransitionTime"],
                "reason": reason, "message": message}

    _, unavailable_budget = surge_and_unavailable(dep)
    min_available = want - unavailable_budget
    complete = updated == want and actual == want and available >= want
    status: dict[str, Any] = {
        "observedGeneration": dep["metadata"].get("generation", 1),
        "replicas": actual,
        "updatedReplicas": updated,
        "conditions": [
            condition("Available", available >= min_available,
                      "MinimumReplicasAvailable" if available >= min_available else "MinimumReplicasUnavailable",
                      "Deployment has minimum availability." if available >= min_available
                      else "Deployment does not have minimum availability."),
            condition("Progressing", True,
                      "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                      f'ReplicaSet "{new_rs}" has successfully progressed.' if complete
                      else f'ReplicaSet "{new_rs}" is progressing.'),
        ],
    }
    if ready:
        status["readyReplicas"] = ready
    if available:
        status["availableReplicas"] = available
    if spec_total - available > 0:
        status["unavailableReplicas"] = spec_total - available
    if _without_times(status) != _without_times(old):
        dep["status"] = status
        cluster.put("deployments", dep)


def _without_times(status: dict) -> dict:
    s = copy.deepcopy(status)
    for c in s.get("conditions", []):
        c.pop("lastUpdateTime", None)
        c.pop("lastTransitionTime", None)
    return s


# --- controller revisions (StatefulSets, DaemonSets) ------------------------------------


def _template_revision(cluster: Cluster, owner: dict) -> tuple[str, int]:
    """The ControllerRevision of the owner's current template: (hash, revision number)."""
    ns, name = owner["metadata"]["namespace"], owner["metadata"]["name"]
    template = copy.deepcopy(owner["spec"]["template"])
    digest = objects.template_hash(template)
    revisions = owned(cluster, "controllerrevisions", owner)
    top = max((int(r.get("revision", 0)) for r in revisions), default=0)
    mine = next((r for r in revisions if r["metadata"]["name"] == f"{name}-{digest}"), None)
    if mine is None:
        template["$patch"] = "replace"
        mine = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": objects.base_metadata(f"{name}-{digest}", ns,
                                                  labels={**(owner["spec"]["selector"].get("matchLabels") or {}),
                                                          CONTROLLER_REVISION_HASH: digest}),
                "data": {"spec": {"template": template}}, "revision": top + 1}
        mine["metadata"]["ownerReferences"] = [objects.owner_reference(owner)]
        cluster.put("controllerrevisions", mine)
    elif int(mine["revision"]) < top:  # back to an older template: it becomes the newest revision
        mine["revision"] = top + 1
        cluster.put("controllerrevisions", mine)
    return digest, int(mine["revision"])


def _pod_from_template(owner: dict, name: str, labels: dict, extra_spec: dict | None = None) -> dict:
    template = owner["spec"]["template"]
    spec = copy.deepcopy(template.get("spec") or {})
    spec.update(extra_spec or {})
    return objects.pod(owner["metadata"]["namespace"], name,
                       labels={**(template["metadata"].get("labels") or {}), **labels},
                       annotations=template["metadata"].get("annotations"), spec=spec, owner=owner)


# --- statefulsets -----------------------------------------------------------------------


def _ordinal(sts: dict, pod: dict) -> int | None:
    m = re.fullmatch(re.escape(sts["metadata"]["name"]) + r"-(\d+)", pod["metadata"]["name"])
    return int(m.group(1)) if m else None


def _is_running_ready(pod: dict) -> bool:
    return pod["status"].get("phase") == "Running" and objects.pod_is_ready(pod) and not objects.is_terminating(pod)


def reconcile_statefulset(cluster: Cluster, sts: dict) -> None:
    """pkg/controller/statefulset/stateful_set_control.go, reduced to what shows."""
    ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
    digest, _ = _template_revision(cluster, sts)
    update_revision = f"{name}-{digest}"
    replicas = int(sts["spec"].get("replicas", 1))
    parallel = sts["spec"].get("podManagementPolicy") == "Parallel"
    pods = {(_ordinal(sts, p)): p for p in cluster.pods_owned_by(sts["metadata"]["uid"], ns)}
    pods.pop(None, None)
    # Scale down: the highest ordinals go first, one at a time unless Parallel.
    for ordinal in sorted((o for o in pods if o >= replicas), reverse=True):
        pod = pods[ordinal]
        if not objects.is_terminating(pod):
            terminate_pod(cluster, ns, pod["metadata"]["name"], replace=False, notify_on_removal=True)
        if not parallel:
            break
    # Create missing ordinals in order; OrderedReady waits for each to be Running and Ready.
    for ordinal in range(replicas):
        pod = pods.get(ordinal)
        if pod is None:
            pod_name = f"{name}-{ordinal}"
            claims = _claims_for(cluster, sts, ordinal)
            new = _pod_from_template(sts, pod_name, {
                CONTROLLER_REVISION_HASH: update_revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal)},
                {"hostname": pod_name, **({"subdomain": sts["spec"]["serviceName"]}
                                          if sts["spec"].get("serviceName") else {})})
            if claims:
                volumes = [v for v in new["spec"].get("volumes") or [] if v.get("name") not in claims]
                new["spec"]["volumes"] = volumes + [{"name": n, "persistentVolumeClaim": {"claimName": c}}
                                                    for n, c in claims.items()]
            start_pod(cluster, new)
            pods[ordinal] = new
            if not parallel and not _is_running_ready(new):
                break
        elif not parallel and not _is_running_ready(pod):
            break
    else:
        # Rolling update: every pod exists and is Ready; replace the highest-ordinal
        # outdated one (at or above the partition).
        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
            current = [pods[o] for o in range(replicas) if o in pods]
            if all(_is_running_ready(p) for p in current):
                for ordinal in range(replicas - 1, partition - 1, -1):
                    pod = pods.get(ordinal)
                    if pod is not None and pod["metadata"]["labels"].get(CONTROLLER_REVISION_HASH) != update_revision:
                        terminate_pod(cluster, ns, pod["metadata"]["name"], replace=False, notify_on_removal=True)
                        break
    update_statefulset_status(cluster, sts)


def _claims_for(cluster: Cluster, sts: dict, ordinal: int) -> dict[str, str]:
    """volumeClaimTemplates: one PVC per template and ordinal (TEMPLATE-STS-N), kept after the
    pod (persistentVolumeClaimRetentionPolicy Retain) and bound at once."""
    ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
    claims = {}
    for template in sts["spec"].get("volumeClaimTemplates") or []:
        tname = (template.get("metadata") or {}).get("name", "data")
        claim = f"{tname}-{name}-{ordinal}"
        claims[tname] = claim
        if cluster.raw("persistentvolumeclaims", ns, claim) is None:
            spec = copy.deepcopy(template.get("spec") or {})
            spec.setdefault("volumeMode", "Filesystem")
            spec.setdefault("storageClassName", "standard")
            spec["volumeName"] = f"pvc-{objects.new_uid()}"
            cluster.put("persistentvolumeclaims", {
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": objects.base_metadata(claim, ns, labels=sts["spec"]["selector"].get("matchLabels")),
                "spec": spec,
                "status": {"phase": "Bound", "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
                           "capacity": ((spec.get("resources") or {}).get("requests") or {"storage": "1Gi"})}})
    return claims


def update_statefulset_status(cluster: Cluster, sts: dict) -> None:
    ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
    digest = objects.template_hash(copy.deepcopy(sts["spec"]["template"]))
    update_revision = f"{name}-{digest}"
    pods = _active(cluster.pods_owned_by(sts["metadata"]["uid"], ns))
    old = sts.get("status") or {}
    updated = sum(1 for p in pods if p["metadata"]["labels"].get(CONTROLLER_REVISION_HASH) == update_revision)
    ready = sum(1 for p in pods if objects.pod_is_ready(p))
    current_revision = old.get("currentRevision") or update_revision
    replicas = int(sts["spec"].get("replicas", 1))
    if updated == len(pods) == replicas:
        current_revision = update_revision  # the update is complete: it is the current revision now
    current = sum(1 for p in pods if p["metadata"]["labels"].get(CONTROLLER_REVISION_HASH) == current_revision)
    status: dict[str, Any] = {
        "observedGeneration": sts["metadata"].get("generation", 1),
        "replicas": len(pods), "currentReplicas": current, "updatedReplicas": updated,
        "currentRevision": current_revision, "updateRevision": update_revision,
        "collisionCount": 0, "availableReplicas": ready,
    }
    if ready:
        status["readyReplicas"] = ready
    if status != old:
        sts["status"] = status
        cluster.put("statefulsets", sts)


# --- daemonsets --------------------------------------------------------------------------


def _daemon_nodes(cluster: Cluster, ds: dict) -> list[str]:
    probe = {"spec": ds["spec"]["template"].get("spec") or {}}
    return [n["metadata"]["name"] for n in cluster.raw_list("nodes") if kubelet.node_fits(n, probe)]


def reconcile_daemonset(cluster: Cluster, ds: dict) -> None:
    """pkg/controller/daemon: one pod per fitting node; RollingUpdate with maxUnavailable."""
    ns, name = ds["metadata"]["namespace"], ds["metadata"]["name"]
    digest, _ = _template_revision(cluster, ds)
    nodes = _daemon_nodes(cluster, ds)
    generation = str(ds["metadata"].get("generation", 1))
    by_node: dict[str, list[dict]] = {}
    for p in cluster.pods_owned_by(ds["metadata"]["uid"], ns):
        by_node.setdefault(p["spec"].get("nodeName", ""), []).append(p)
    for node, pods in by_node.items():  # nodes that no longer fit
        if node not in nodes:
            for p in _active(pods):
                terminate_pod(cluster, ns, p["metadata"]["name"], replace=False, notify_on_removal=True)
    rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    budget = _scaled_value(rolling.get("maxUnavailable", 1), len(nodes), True) or 1
    unavailable = sum(1 for n in nodes if not any(_is_running_ready(p) for p in by_node.get(n, [])))
    for node in nodes:
        pods = by_node.get(node, [])
        live = _active(pods)
        if not pods:
            pod_name = f"{name}-{objects.random_suffix()}"
            new = _pod_from_template(ds, pod_name, {CONTROLLER_REVISION_HASH: digest,
                                                    "pod-template-generation": generation},
                                     {"nodeName": node, "affinity": {"nodeAffinity": {
                                         "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                                             {"matchFields": [{"key": "metadata.name", "operator": "In",
                                                               "values": [node]}]}]}}}})
            new["metadata"]["generateName"] = f"{name}-"
            start_pod(cluster, new)
            continue
        outdated = [p for p in live if p["metadata"]["labels"].get(CONTROLLER_REVISION_HASH) != digest]
        if outdated and (unavailable < budget or not _is_running_ready(outdated[0])):
            if _is_running_ready(outdated[0]):
                unavailable += 1
            terminate_pod(cluster, ns, outdated[0]["metadata"]["name"], replace=False, notify_on_removal=True)
    update_daemonset_status(cluster, ds)


def update_daemonset_status(cluster: Cluster, ds: dict) -> None:
    ns = ds["metadata"]["namespace"]
    digest = objects.template_hash(copy.deepcopy(ds["spec"]["template"]))
    nodes = _daemon_nodes(cluster, ds)
    pods = _active(cluster.pods_owned_by(ds["metadata"]["uid"], ns))
    scheduled = {p["spec"].get("nodeName") for p in pods}
    ready = sum(1 for p in pods if objects.pod_is_ready(p))
    updated = sum(1 for p in pods if p["metadata"]["labels"].get(CONTROLLER_REVISION_HASH) == digest)
    status: dict[str, Any] = {
        "currentNumberScheduled": len(scheduled & set(nodes)),
        "desiredNumberScheduled": len(nodes),
        "numberMisscheduled": len(scheduled - set(nodes)),
        "numberReady": ready,
        "observedGeneration": ds["metadata"].get("generation", 1),
        "updatedNumberScheduled": updated,
    }
    if ready:
        status["numberAvailable"] = ready
    if len(nodes) - ready > 0:
        status["numberUnavailable"] = len(nodes) - ready
    if status != ds.get("status"):
        ds["status"] = status
        cluster.put("daemonsets", ds)


def nodes_changed(cluster: Cluster) -> None:
    """A node appeared or went: DaemonSets follow."""
    for ds in cluster.raw_list("daemonsets"):
        sync(cluster, "daemonsets", ds["metadata"]["namespace"], ds["metadata"]["name"])


# --- deletion ----------------------------------------------------------------------------------


def delete_workload(cluster: Cluster, plural: str, obj: dict) -> None:
    """Cascade like the garbage collector (background propagation)."""
    ns = obj["metadata"]["namespace"]
    if plural == "deployments":
        for rs in owned_replicasets(cluster, obj):
            delete_workload(cluster, "replicasets", rs)
    for p in list(cluster.pods_owned_by(obj["metadata"]["uid"], ns)):
        terminate_pod(cluster, ns, p["metadata"]["name"], replace=False)
    for rev in owned(cluster, "controllerrevisions", obj):
        cluster.remove("controllerrevisions", ns, rev["metadata"]["name"])
    cluster.remove(plural, ns, obj["metadata"]["name"])


def delete_deployment(cluster: Cluster, dep: dict) -> None:
    delete_workload(cluster, "deployments", dep)


def delete_namespace(cluster: Cluster, name: str) -> None:
    for plural in ("deployments", "statefulsets", "daemonsets", "replicasets"):
        for obj in cluster.raw_list(plural, name):
            delete_workload(cluster, plural, obj)
    for plural in list(cluster.objects):
        if plural == "namespaces":
            continue
        for obj in cluster.raw_list(plural, name):
            if plural == "pods":
                remove_pod(cluster, name, obj["metadata"]["name"])
            else:
                cluster.remove(plural, name, obj["metadata"]["name"])
    cluster.remove("namespaces", None, name)

