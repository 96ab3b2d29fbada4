"""The little bit of kube-controller-manager the simulator needs.

Deployments own ReplicaSets (one per pod template, named DEPLOY-HASH), ReplicaSets
own pods (named RS-xxxxx) and keep their count; statuses are recomputed after every
change so `kubectl rollout status` and `kubectl get deploy` read true numbers.
A rollout is done in one step: the new ReplicaSet gets every replica, the old ones
are scaled to zero (their pods terminate). Call these with `cluster.lock` held.
"""

from __future__ import annotations

import copy
from typing import Any

from . import objects
from .manifests import READY_ANNOTATION
from .store import Cluster


# --- pods -------------------------------------------------------------------------


def start_pod(cluster: Cluster, pod: dict, *, ready: bool = True) -> dict:
    """Store a new pod: Pending for `pod_start_delay` seconds, then Running."""
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    if (pod["metadata"].get("annotations") or {}).get(READY_ANNOTATION) == "false":
        ready = False
        objects.set_pod_status(pod, phase=pod["status"]["phase"], ready=False)
    if cluster.pod_start_delay > 0:
        objects.set_pod_status(pod, phase="Pending", ready=False)
        cluster.put("pods", pod)

        def run() -> None:
            current = cluster.raw("pods", ns, name)
            if current is not None and current["metadata"]["uid"] == pod["metadata"]["uid"]:
                objects.set_pod_status(current, phase="Running", ready=ready)
                cluster.put("pods", current)
                _refresh_owner_status(cluster, current)

        cluster.schedule(cluster.pod_start_delay, run)
    else:
        cluster.put("pods", pod)
    _seed_logs(cluster, pod)
    # Only the owner's status: its count is its own business (no re-entrant reconcile).
    _refresh_owner_status(cluster, pod)
    return pod


def _seed_logs(cluster: Cluster, pod: dict) -> None:
    text = (pod["metadata"].get("annotations") or {}).get(objects.LOG_ANNOTATION)
    if text:
        for c in pod["spec"]["containers"]:
            cluster.append_log(pod["metadata"]["namespace"], pod["metadata"]["name"], c["name"], text)


def terminate_pod(cluster: Cluster, namespace: str, name: str, *, grace: float | None = None,
                  replace: bool = True) -> dict | None:
    """Delete a pod gracefully: terminating for `termination_delay` seconds, then gone.

    replace=False keeps the owning ReplicaSet from creating a replacement (the Python
    API uses that so tests see exactly the pods they made).
    """
    pod = cluster.raw("pods", namespace, name)
    if pod is None:
        return None
    delay = cluster.termination_delay if grace is None else min(grace, cluster.termination_delay)
    uid = pod["metadata"]["uid"]

    def finish() -> None:
        current = cluster.raw("pods", namespace, name)
        if current is not None and current["metadata"]["uid"] == uid:
            remove_pod(cluster, namespace, name)

    if delay > 0 and not objects.is_terminating(pod):
        pod["metadata"]["deletionTimestamp"] = objects.timestamp()
        pod["metadata"]["deletionGracePeriodSeconds"] = int(pod["spec"].get("terminationGracePeriodSeconds", 30))
        cluster.put("pods", pod)
    # A pod already Terminating (deleted again, --force, or left so by the Python API)
    # goes after the new, possibly shorter, grace period.
    snapshot = copy.deepcopy(pod)
    cluster.schedule(delay, finish)
    pod = snapshot
    if replace:
        on_pod_changed(cluster, pod)
    else:
        _refresh_owner_status(cluster, pod)
    return pod


def mark_terminating(cluster: Cluster, namespace: str, name: str) -> dict | None:
    """Give a pod a deletionTimestamp and leave it there (until deleted)."""
    pod = cluster.raw("pods", namespace, name)
    if pod is None:
        return None
    pod["metadata"]["deletionTimestamp"] = objects.timestamp()
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    cluster.put("pods", pod)
    _refresh_owner_status(cluster, pod)
    return pod


def remove_pod(cluster: Cluster, namespace: str, name: str) -> None:
    pod = cluster.remove("pods", namespace, name)
    if pod is not None:
        cluster.forget_logs(namespace, name)
        _refresh_owner_status(cluster, pod)


def _owner(cluster: Cluster, obj: dict, kind: str, plural: str) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences", []):
        if ref.get("kind") == kind:
            owner = cluster.raw(plural, obj["metadata"]["namespace"], ref["name"])
            if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
                return owner
    return None


def on_pod_changed(cluster: Cluster, pod: dict) -> None:
    """A pod appeared, went away or changed readiness: let its ReplicaSet react."""
    rs = _owner(cluster, pod, "ReplicaSet", "replicasets")
    if rs is not None:
        reconcile_replicaset(cluster, rs)


def _refresh_owner_status(cluster: Cluster, pod: dict) -> None:
    rs = _owner(cluster, pod, "ReplicaSet", "replicasets")
    if rs is not None:
        update_replicaset_status(cluster, rs)


# --- replicasets ------------------------------------------------------------------


def reconcile_replicaset(cluster: Cluster, rs: dict) -> None:
    ns = rs["metadata"]["namespace"]
    active = [p for p in cluster.pods_owned_by(rs["metadata"]["uid"], ns)
              if not objects.is_terminating(p)]
    want = int(rs["spec"].get("replicas", 1))
    if len(active) < want:
        created = objects.timestamp()
        for _ in range(want - len(active)):
            start_pod(cluster, new_pod_for(cluster, rs, created))
    elif len(active) > want:
        # Like the real controller: drop not-ready pods first, then the newest.
        victims = sorted(active, key=lambda p: (not objects.pod_is_ready(p),
                                                p["metadata"]["creationTimestamp"],
                                                p["metadata"]["name"]), reverse=True)
        for p in victims[: len(active) - want]:
            terminate_pod(cluster, ns, p["metadata"]["name"], replace=False)
    update_replicaset_status(cluster, rs)


def new_pod_for(cluster: Cluster, rs: dict, created: str) -> dict:
    template = rs["spec"]["template"]
    ns, rs_name = rs["metadata"]["namespace"], rs["metadata"]["name"]
    while True:
        name = f"{rs_name}-{objects.random_suffix()}"
        if cluster.raw("pods", ns, name) is None:
            break
    return objects.pod(
        ns, name,
        labels=template["metadata"].get("labels"),
        annotations=template["metadata"].get("annotations"),
        spec=template.get("spec"),
        created=created,
        owner=rs,
        generate_name=f"{rs_name}-",
        phase="Running",
    )


def update_replicaset_status(cluster: Cluster, rs: dict) -> None:
    ns = rs["metadata"]["namespace"]
    active = [p for p in cluster.pods_owned_by(rs["metadata"]["uid"], ns)
              if not objects.is_terminating(p)]
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
    (t.get("metadata") or {}).get("labels", {}).pop(objects.HASH_LABEL, None)
    return t


def owned_replicasets(cluster: Cluster, dep: dict) -> list[dict]:
    uid = dep["metadata"]["uid"]
    return [rs for rs in cluster.raw_list("replicasets", dep["metadata"]["namespace"])
            if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences", []))]


def _revision(rs: dict) -> int:
    return int((rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0"))


def reconcile_deployment(cluster: Cluster, dep: dict) -> None:
    """Make the ReplicaSets match the deployment's template and replica count."""
    pod_hash = objects.template_hash(_template_without_hash(dep["spec"]["template"]))
    replicasets = owned_replicasets(cluster, dep)
    top = max((_revision(rs) for rs in replicasets), default=0)
    current = next((rs for rs in replicasets
                    if rs["metadata"].get("labels", {}).get(objects.HASH_LABEL) == pod_hash), None)
    if current is None:
        current = objects.replicaset(dep, pod_hash, top + 1)
        current["spec"]["replicas"] = int(dep["spec"]["replicas"])
        cluster.put("replicasets", current)
        revision = top + 1
    else:
        revision = _revision(current)
        if revision < top:  # rolling back to an older template makes it the newest revision
            revision = top + 1
            current["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(revision)
        current["spec"]["replicas"] = int(dep["spec"]["replicas"])
        current["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = str(dep["spec"]["replicas"])
        cluster.put("replicasets", current)
    annotations = dep["metadata"].setdefault("annotations", {})
    if annotations.get("deployment.kubernetes.io/revision") != str(revision):
        annotations["deployment.kubernetes.io/revision"] = str(revision)
        cluster.put("deployments", dep)
    for rs in replicasets:
        if rs is not current and int(rs["spec"].get("replicas", 0)) != 0:
            rs["spec"]["replicas"] = 0
            cluster.put("replicasets", rs)
    for rs in owned_replicasets(cluster, dep):
        reconcile_replicaset(cluster, rs)
    update_deployment_status(cluster, dep)


def update_deployment_status(cluster: Cluster, dep: dict) -> None:
    pod_hash = objects.template_hash(_template_without_hash(dep["spec"]["template"]))
    replicasets = owned_replicasets(cluster, dep)
    want = int(dep["spec"].get("replicas", 1))
    total = sum(int(rs["status"].get("replicas", 0)) for rs in replicasets)
    ready = sum(int(rs["status"].get("readyReplicas", 0)) for rs in replicasets)
    available = sum(int(rs["status"].get("availableReplicas", 0)) for rs in replicasets)
    updated = sum(int(rs["status"].get("replicas", 0)) for rs in replicasets
                  if rs["metadata"].get("labels", {}).get(objects.HASH_LABEL) == pod_hash)
    new_rs = next((rs["metadata"]["name"] for rs in replicasets
                   if rs["metadata"].get("labels", {}).get(objects.HASH_LABEL) == pod_hash), "")
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

    complete = updated == want and total == want and available >= want
    status: dict[str, Any] = {
        "observedGeneration": dep["metadata"].get("generation", 1),
        "replicas": total,
        "updatedReplicas": updated,
        "conditions": [
            condition("Available", available >= want,
                      "MinimumReplicasAvailable" if available >= want else "MinimumReplicasUnavailable",
                      "Deployment has minimum availability." if available >= want
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
    if total - available > 0:
        status["unavailableReplicas"] = total - available
    if _without_times(status) != _without_times(old):
        dep["status"] = status
        cluster.put("deployments", dep)


def _without_times(status: dict) -> dict:
    s = copy.deepcopy(status)
    for c in s.get("conditions", []):
        c.pop("lastUpdateTime", None)
        c.pop("lastTransitionTime", None)
    return s


def delete_deployment(cluster: Cluster, dep: dict) -> None:
    """Cascade like the garbage collector: ReplicaSets, then their pods."""
    ns = dep["metadata"]["namespace"]
    for rs in owned_replicasets(cluster, dep):
        for p in list(cluster.pods_owned_by(rs["metadata"]["uid"], ns)):
            terminate_pod(cluster, ns, p["metadata"]["name"], replace=False)
        cluster.remove("replicasets", ns, rs["metadata"]["name"])
    cluster.remove("deployments", ns, dep["metadata"]["name"])


def delete_namespace(cluster: Cluster, name: str) -> None:
    for dep in cluster.raw_list("deployments", name):
        delete_deployment(cluster, dep)
    for plural in list(cluster.objects):
        if plural == "namespaces":
            continue
        for obj in cluster.raw_list(plural, name):
            if plural == "pods":
                remove_pod(cluster, name, obj["metadata"]["name"])
            else:
                cluster.remove(plural, name, obj["metadata"]["name"])
    cluster.remove("namespaces", None, name)
