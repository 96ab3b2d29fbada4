"""Builders for the JSON objects the simulator stores: realistic enough for kubectl and emb.

Pods carry what a client that picks "the first Ready, not terminating, oldest pod"
reads: creationTimestamp, uid, ownerReferences, status.phase, conditions,
containerStatuses (ready, restartCount, state) and deletionTimestamp.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import random
import uuid
from typing import Any, Iterable, Mapping

# The alphabet Kubernetes uses for generated name suffixes (no vowels, no 0/1/3).
NAME_ALPHABET = "bcdfghjkmnpqrstvwxz2456789"
NODE_NAME = "kubesim-node"
HASH_LABEL = "pod-template-hash"
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
# Simulator-only pod annotation: lines a container has "printed" at start (its log).
LOG_ANNOTATION = "kubesim.emb.dev/log"

_rng = random.Random()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def utcnow_nanos() -> str:
    """RFC 3339 with nanoseconds (log timestamps)."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def timestamp(when: dt.datetime | None = None) -> str:
    """RFC 3339 with second precision, as metadata timestamps are."""
    when = when or utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def as_timestamp(value: dt.datetime | str | None) -> str:
    if value is None:
        return timestamp()
    if isinstance(value, str):
        return timestamp(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return timestamp(value)


def random_suffix(length: int = 5) -> str:
    return "".join(_rng.choice(NAME_ALPHABET) for _ in range(length))


def template_hash(template: Mapping[str, Any]) -> str:
    """A stable 10-character hash of a pod template (the pod-template-hash label)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(10):
        number, rem = divmod(number, len(NAME_ALPHABET))
        chars.append(NAME_ALPHABET[rem])
    return "".join(chars)


def new_uid() -> str:
    return str(uuid.uuid4())


def owner_reference(owner: Mapping[str, Any]) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def base_metadata(name: str, namespace: str | None, *, labels=None, annotations=None,
                  created: str | None = None) -> dict:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["uid"] = new_uid()
    meta["creationTimestamp"] = created or timestamp()
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def namespace(name: str, *, labels=None) -> dict:
    labels = {"kubernetes.io/metadata.name": name, **(labels or {})}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": base_metadata(name, None, labels=labels),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def normalize_containers(containers: Iterable[Mapping[str, Any]] | None, default_name: str) -> list[dict]:
    """Fill the fields every real container spec has (image, pull policy, ...)."""
    out = []
    for c in containers or [{"name": default_name}]:
        c = copy.deepcopy(dict(c))
        c.setdefault("name", default_name)
        c.setdefault("image", f"kubesim.local/{c['name']}:latest")
        c.setdefault("imagePullPolicy", "IfNotPresent")
        c.setdefault("resources", {})
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        out.append(c)
    return out


def pod_spec(spec: Mapping[str, Any] | None, default_name: str) -> dict:
    spec = copy.deepcopy(dict(spec or {}))
    spec["containers"] = normalize_containers(spec.get("containers"), default_name)
    if spec.get("initContainers"):
        spec["initContainers"] = normalize_containers(spec["initContainers"], f"{default_name}-init")
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    return spec  # no nodeName: the scheduler (kubelet.schedule) picks one


def pod(namespace_name: str, name: str, *, labels=None, annotations=None, spec=None,
        created: str | None = None, owner: Mapping[str, Any] | None = None,
        ready: bool = True, phase: str = "Running", generate_name: str | None = None) -> dict:
    """A new pod, not yet scheduled: controller.start_pod / place_pod give it a node
    and a status (ready/phase are kept for them in the pod's initial status)."""
    meta = base_metadata(name, namespace_name, labels=labels, annotations=annotations, created=created)
    if generate_name:
        meta["generateName"] = generate_name
    if owner is not None:
        meta["ownerReferences"] = [owner_reference(owner)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": pod_spec(spec, name),
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }


def set_pod_status(obj: dict, *, phase: str, ready: bool) -> None:
    """Recompute a pod's status for a phase and readiness, keeping restart counts."""
    from .kubelet import compute_status

    obj["status"] = compute_status(obj, phase=phase, ready=ready)


def pod_is_ready(obj: Mapping[str, Any]) -> bool:
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def deployment(namespace_name: str, name: str, *, replicas: int = 1, template_labels=None,
               containers=None, template_annotations=None, selector=None,
               annotations=None, labels=None) -> dict:
    template_labels = dict(template_labels or {"app": name})
    selector = selector or {"matchLabels": dict(template_labels)}
    template_meta: dict[str, Any] = {"labels": template_labels}
    if template_annotations:
        template_meta["annotations"] = dict(template_annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": base_metadata(name, namespace_name, labels=labels or dict(template_labels),
                                  annotations=annotations),
        "spec": {
            "replicas": replicas,
            "selector": selector,
            "template": {"metadata": template_meta,
                         "spec": {"containers": list(containers or [{"name": name}])}},
        },
    }


def fill_deployment_defaults(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("strategy", {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    template["spec"] = pod_spec(template.get("spec"), obj["metadata"]["name"])
    # The pod spec defaults include nodeName; a template never has one.
    template["spec"].pop("nodeName", None)
    obj["metadata"].setdefault("generation", 1)
    obj.setdefault("status", {})


def _fill_template(obj: dict) -> None:
    template = obj["spec"].setdefault("template", {})
    template.setdefault("metadata", {})
    template["spec"] = pod_spec(template.get("spec"), obj["metadata"]["name"])
    obj["metadata"].setdefault("generation", 1)
    obj.setdefault("status", {})


def fill_statefulset_defaults(obj: dict) -> None:
    """apps/v1 SetDefaults_StatefulSet: OrderedReady, RollingUpdate with partition 0."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    _fill_template(obj)


def fill_daemonset_defaults(obj: dict) -> None:
    """apps/v1 SetDefaults_DaemonSet: RollingUpdate, maxUnavailable 1, maxSurge 0."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    _fill_template(obj)


def workload(kind: str, namespace_name: str, name: str, *, replicas: int | None = None, template_labels=None,
             containers=None, template_annotations=None, selector=None, annotations=None, labels=None,
             spec: Mapping[str, Any] | None = None) -> dict:
    """A StatefulSet or DaemonSet manifest (like deployment() for Deployments)."""
    obj = deployment(namespace_name, name, replicas=replicas or 1, template_labels=template_labels,
                     containers=containers, template_annotations=template_annotations, selector=selector,
                     annotations=annotations, labels=labels)
    obj["kind"] = kind
    if replicas is None or kind == "DaemonSet":
        obj["spec"].pop("replicas")
    obj["spec"].update(copy.deepcopy(dict(spec or {})))
    return obj


def replicaset(dep: Mapping[str, Any], pod_hash: str, revision: int) -> dict:
    template = copy.deepcopy(dep["spec"]["template"])
    template["metadata"].setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = copy.deepcopy(dep["spec"]["selector"])
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    name = f"{dep['metadata']['name']}-{pod_hash}"
    meta = base_metadata(name, dep["metadata"]["namespace"],
                         labels=template["metadata"]["labels"],
                         annotations={"deployment.kubernetes.io/desired-replicas": str(dep["spec"]["replicas"]),
                                      "deployment.kubernetes.io/max-replicas": str(dep["spec"]["replicas"] + 1),
                                      "deployment.kubernetes.io/revision": str(revision)})
    meta["ownerReferences"] = [owner_reference(dep)]
    meta["generation"] = 1
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {"replicas": dep["spec"]["replicas"], "selector": selector, "template": template},
        "status": {"replicas": 0, "observedGeneration": 1},
    }


def generic(obj: Mapping[str, Any], namespace_name: str | None) -> dict:
    """A manifest-defined object of a kind without special behaviour (Service, ConfigMap...)."""
    obj = copy.deepcopy(dict(obj))
    meta = obj.setdefault("metadata", {})
    fresh = base_metadata(meta["name"], namespace_name, created=meta.get("creationTimestamp"))
    for key in ("uid", "creationTimestamp", "namespace"):
        if key in fresh:
            meta[key] = fresh[key]
    if obj.get("kind") == "Service":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        digest = hashlib.sha256(meta["name"].encode()).digest()
        spec.setdefault("clusterIP", f"10.96.{digest[0]}.{digest[1] % 250 + 2}")
    return obj


def node(name: str = NODE_NAME) -> dict:
    """The one node every pod runs on."""
    now = timestamp()
    conditions = [
        {"type": kind, "status": "False", "reason": f"KubeletHas{reason}", "message": f"kubelet has {reason}",
         "lastHeartbeatTime": now, "lastTransitionTime": now}
        for kind, reason in (("MemoryPressure", "SufficientMemory"), ("DiskPressure", "NoDiskPressure"),
                             ("PIDPressure", "SufficientPID"))
    ] + [{"type": "Ready", "status": "True", "reason": "KubeletReady",
          "message": "kubelet is posting ready status", "lastHeartbeatTime": now, "lastTransitionTime": now}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": base_metadata(name, None, labels={
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "node-role.kubernetes.io/control-plane": ""}),
        "spec": {"podCIDR": "10.244.0.0/16"},
        "status": {
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": "10.0.0.10"}, {"type": "Hostname", "address": name}],
            "capacity": {"cpu": "2", "memory": "24Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "24Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.32.4", "kubeProxyVersion": "v1.32.4", "osImage": "kubesim",
                         "kernelVersion": "simulated", "containerRuntimeVersion": "kubesim://1.0",
                         "operatingSystem": "linux", "architecture": "amd64", "machineID": "", "systemUUID": "",
                         "bootID": ""},
        },
    }
