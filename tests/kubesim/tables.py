"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for.

kubectl sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...` and prints
whatever columns the server returns, so the columns here are the real API server's
(NAME READY STATUS RESTARTS AGE for pods, with IP/NODE at priority 1 for -o wide).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from . import objects
from .selectors import selector_string


def human_duration(seconds: float) -> str:
    """Ages the way kubectl prints them: 45s, 5m3s, 3h, 2d4h, 1y30d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{hours // 24 // 365}y"


def age(obj: dict) -> str:
    created = obj["metadata"].get("creationTimestamp")
    if not created:
        return "<unknown>"
    delta = dt.datetime.now(dt.timezone.utc) - objects.parse_timestamp(created)
    return human_duration(delta.total_seconds())


def _col(name: str, kind: str = "string", priority: int = 0, fmt: str = "", description: str = "") -> dict:
    return {"name": name, "type": kind, "format": fmt, "description": description or name,
            "priority": priority}


NAME = _col("Name", fmt="name", description="Name must be unique within a namespace.")
AGE = _col("Age", description="CreationTimestamp is a timestamp representing the server time "
                              "when this object was created.")


def _pod_columns(pod: dict) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS as the API server prints them
    (pkg/printers/internalversion/printers.go printPod)."""
    spec, status = pod.get("spec", {}), pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_specs = {c["name"]: c for c in spec.get("initContainers") or []}
    sidecars = {n for n, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last_restart = ""
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount", 0))
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""
        last_restart = max(last_restart, finished)
        if cs["name"] in sidecars:
            sidecar_restarts += int(cs.get("restartCount", 0))
            sidecar_last_restart = max(sidecar_last_restart, finished)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if cs["name"] in sidecars and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated:
            reason = "Init:" + terminated["reason"] if terminated.get("reason") else \
                f"Init:ExitCode:{terminated.get('exitCode')}"
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in status.get("conditions") or [])
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount", 0))
            finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""
            last_restart = max(last_restart, finished)
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif "terminated" in state:
                t = state["terminated"]
                reason = t.get("reason") or f"ExitCode:{t.get('exitCode')}"
            elif cs.get("ready") and "running" in state:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if any(c.get("type") == "Ready" and c.get("status") == "True"
                                      for c in status.get("conditions") or []) else "NotReady"
    if pod["metadata"].get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({age({'metadata': {'creationTimestamp': last_restart}})} ago)"
    return f"{ready}/{total}", reason, restarts_text


def _pod_status(pod: dict) -> str:
    return _pod_columns(pod)[1]


def _pod_row(pod: dict) -> list:
    ready, reason, restarts = _pod_columns(pod)
    readiness_gates = pod["spec"].get("readinessGates")
    return [
        pod["metadata"]["name"], ready, reason, restarts, age(pod),
        pod.get("status", {}).get("podIP") or "<none>", pod["spec"].get("nodeName") or "<none>",
        "<none>", f"0/{len(readiness_gates)}" if readiness_gates else "<none>",
    ]


def _containers(spec: dict) -> tuple[str, str]:
    containers = spec.get("template", {}).get("spec", {}).get("containers", [])
    return ",".join(c["name"] for c in containers), ",".join(c.get("image", "") for c in containers)


def _deployment_row(d: dict) -> list:
    spec, status = d["spec"], d.get("status", {})
    names, images = _containers(spec)
    return [d["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0), age(d),
            names, images, selector_string(spec.get("selector"))]


def _replicaset_row(rs: dict) -> list:
    spec, status = rs["spec"], rs.get("status", {})
    names, images = _containers(spec)
    return [rs["metadata"]["name"], spec.get("replicas", 0), status.get("replicas", 0),
            status.get("readyReplicas", 0), age(rs), names, images,
            selector_string(spec.get("selector"))]


def _statefulset_row(sts: dict) -> list:
    spec, status = sts["spec"], sts.get("status", {})
    names, images = _containers(spec)
    return [sts["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", age(sts),
            names, images]


def _daemonset_row(ds: dict) -> list:
    spec, status = ds["spec"], ds.get("status", {})
    names, images = _containers(spec)
    node_selector = ",".join(f"{k}={v}" for k, v in sorted(
        ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector", {}).items())) or "<none>"
    return [ds["metadata"]["name"], status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0), status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0),
            node_selector, age(ds), names, images, selector_string(spec.get("selector"))]


def _claim_row(pvc: dict) -> list:
    spec, status = pvc.get("spec", {}), pvc.get("status", {})
    return [pvc["metadata"]["name"], status.get("phase", "Pending"), spec.get("volumeName", ""),
            (status.get("capacity") or {}).get("storage", ""),
            ",".join({"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
                      "ReadWriteOncePod": "RWOP"}.get(m, m) for m in status.get("accessModes") or []),
            spec.get("storageClassName") or "<unset>", "<unset>", age(pvc), spec.get("volumeMode", "Filesystem")]


def _revision_row(rev: dict) -> list:
    owner = next((r for r in rev["metadata"].get("ownerReferences", []) if r.get("controller")), None)
    controller = f"{owner['kind'].lower()}.apps/{owner['name']}" if owner else "<none>"
    return [rev["metadata"]["name"], controller, rev.get("revision", 0), age(rev)]


def _service_row(s: dict) -> list:
    spec = s.get("spec", {})
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports", [])) or "<none>"
    return [s["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"),
            "<none>", ports, age(s), selector_string({"matchLabels": spec.get("selector") or {}}) or "<none>"]


def _event_row(e: dict) -> list:
    obj = e.get("involvedObject", {})
    return [e.get("lastTimestamp") and age({"metadata": {"creationTimestamp": e["lastTimestamp"]}}) or age(e),
            e.get("type", "Normal"), e.get("reason", ""),
            f"{obj.get('kind', '').lower()}/{obj.get('name', '')}", e.get("message", "")]


def _node_row(n: dict) -> list:
    status = n.get("status", {})
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))
    roles = sorted(k.split("/", 1)[1] for k in n["metadata"].get("labels", {})
                   if k.startswith("node-role.kubernetes.io/"))
    info = status.get("nodeInfo", {})
    address = next((a["address"] for a in status.get("addresses", []) if a["type"] == "InternalIP"), "<none>")
    return [n["metadata"]["name"], "Ready" if ready else "NotReady", ",".join(roles) or "<none>", age(n),
            info.get("kubeletVersion", ""), address, "<none>", info.get("osImage", ""),
            info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]


PRINTERS: dict[str, tuple[list[dict], Callable[[dict], list]]] = {
    "pods": ([NAME, _col("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
              _col("Status", description="The aggregate status of the containers in this pod."),
              _col("Restarts", description="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
              AGE, _col("IP", priority=1), _col("Node", priority=1),
              _col("Nominated Node", priority=1), _col("Readiness Gates", priority=1)], _pod_row),
    "deployments": ([NAME, _col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"), AGE,
                     _col("Containers", priority=1), _col("Images", priority=1),
                     _col("Selector", priority=1)], _deployment_row),
    "replicasets": ([NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                     AGE, _col("Containers", priority=1), _col("Images", priority=1),
                     _col("Selector", priority=1)], _replicaset_row),
    "statefulsets": ([NAME, _col("Ready"), AGE, _col("Containers", priority=1), _col("Images", priority=1)],
                     _statefulset_row),
    "daemonsets": ([NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                    _col("Up-to-date", "integer"), _col("Available", "integer"), _col("Node Selector"), AGE,
                    _col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)],
                   _daemonset_row),
    "controllerrevisions": ([NAME, _col("Controller"), _col("Revision", "integer"), AGE], _revision_row),
    "persistentvolumeclaims": ([NAME, _col("Status"), _col("Volume"), _col("Capacity"), _col("Access Modes"),
                                _col("StorageClass"), _col("VolumeAttributesClass"), AGE,
                                _col("VolumeMode", priority=1)], _claim_row),
    "nodes": ([NAME, _col("Status"), _col("Roles"), AGE, _col("Version"), _col("Internal-IP", priority=1),
               _col("External-IP", priority=1), _col("OS-Image", priority=1), _col("Kernel-Version", priority=1),
               _col("Container-Runtime", priority=1)], _node_row),
    "namespaces": ([NAME, _col("Status"), AGE],
                   lambda n: [n["metadata"]["name"], n.get("status", {}).get("phase", "Active"), age(n)]),
    "services": ([NAME, _col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"), AGE,
                  _col("Selector", priority=1)], _service_row),
    "configmaps": ([NAME, _col("Data", "integer"), AGE],
                   lambda c: [c["metadata"]["name"], len(c.get("data") or {}) + len(c.get("binaryData") or {}),
                              age(c)]),
    "secrets": ([NAME, _col("Type"), _col("Data", "integer"), AGE],
                lambda s: [s["metadata"]["name"], s.get("type", "Opaque"), len(s.get("data") or {}), age(s)]),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")], _event_row),
}


def _row_object(obj: dict, include: str) -> Any:
    if include == "None":
        return None
    if include == "Object":
        return obj
    meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}


def table(plural: str, items: list[dict], *, resource_version: str, include_object: str = "Metadata",
          with_columns: bool = True) -> dict:
    columns, row = PRINTERS.get(plural, ([NAME, AGE], lambda o: [o["metadata"]["name"], age(o)]))
    rows = []
    for obj in items:
        entry: dict[str, Any] = {"cells": row(obj)}
        included = _row_object(obj, include_object)
        if included is not None:
            entry["object"] = included
        rows.append(entry)
    out: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                           "metadata": {"resourceVersion": resource_version}}
    if with_columns:
        out["columnDefinitions"] = columns
    out["rows"] = rows
    return out


def wants_table(accept: str) -> bool:
    return "as=Table" in accept
