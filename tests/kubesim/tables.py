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


def _pod_status(pod: dict) -> str:
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    running = False
    for cs in status.get("containerStatuses", []):
        state = cs.get("state", {})
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            t = state["terminated"]
            reason = t.get("reason") or (f"ExitCode:{t.get('exitCode')}")
        elif "running" in state and cs.get("ready"):
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod_row(pod: dict) -> list:
    statuses = pod.get("status", {}).get("containerStatuses", [])
    total = len(pod["spec"].get("containers", []))
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    readiness_gates = pod["spec"].get("readinessGates")
    return [
        pod["metadata"]["name"], f"{ready}/{total}", _pod_status(pod), str(restarts), age(pod),
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
