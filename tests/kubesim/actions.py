"""Create / update / delete objects with their side effects (the write path).

Shared by the REST handlers (kubectl create/delete/patch), the manifest loader and
the Python API, so a pod made by `sim.add_deployment` and one made by
`kubectl create deployment` are built the same way. Callers need not hold the lock.
"""

from __future__ import annotations

import copy
from typing import Any

from . import controller, kubelet, objects
from .manifests import TERMINATING_ANNOTATION
from .resources import BY_PLURAL, Resource
from .status import ApiError, already_exists, bad_request, not_found
from .store import Cluster

KIND_TO_PLURAL = {r.kind: r.plural for r in BY_PLURAL.values()}
WORKLOADS = ("deployments", "replicasets", "statefulsets", "daemonsets")


def _fill_replicaset(body: dict) -> None:
    body["metadata"].setdefault("generation", 1)
    body.setdefault("status", {"replicas": 0})


FILL_DEFAULTS = {"deployments": objects.fill_deployment_defaults, "replicasets": _fill_replicaset,
                 "statefulsets": objects.fill_statefulset_defaults, "daemonsets": objects.fill_daemonset_defaults}


def resource_for_kind(kind: str) -> Resource:
    plural = KIND_TO_PLURAL.get(kind)
    if plural is None:
        raise bad_request(f"kubesim does not know the kind {kind!r}")
    return BY_PLURAL[plural]


def _require_namespace(cluster: Cluster, namespace: str) -> None:
    if cluster.raw("namespaces", None, namespace) is None:
        raise not_found(BY_PLURAL["namespaces"], namespace)
    if cluster.raw("namespaces", None, namespace).get("status", {}).get("phase") == "Terminating":
        raise ApiError(403, "Forbidden",
                       f"unable to create new content in namespace {namespace} because it is being terminated")


def _name_of(body: dict, cluster: Cluster, plural: str, namespace: str | None) -> str:
    meta = body.setdefault("metadata", {})
    if meta.get("name"):
        return meta["name"]
    if meta.get("generateName"):
        while True:
            name = meta["generateName"] + objects.random_suffix()
            if cluster.raw(plural, namespace, name) is None:
                meta["name"] = name
                return name
    raise ApiError(422, "Invalid", f"{BY_PLURAL[plural].kind} is invalid: metadata.name: Required value: "
                                   "name or generateName is required")


def create(cluster: Cluster, resource: Resource, namespace: str | None, body: dict, *,
           dry_run: bool = False, ready: bool = True) -> dict:
    """Create one object as the API server would (defaults, controllers, events)."""
    body = copy.deepcopy(body)
    body["apiVersion"], body["kind"] = resource.api_version, resource.kind
    if not resource.namespaced:
        namespace = None
    else:
        namespace = namespace or body.get("metadata", {}).get("namespace") or "default"
    with cluster.lock:
        name = _name_of(body, cluster, resource.plural, namespace)
        if cluster.raw(resource.plural, namespace, name) is not None:
            raise already_exists(resource, name)
        if namespace is not None:
            _require_namespace(cluster, namespace)
        meta = body["metadata"]
        if resource.plural == "namespaces":
            obj = objects.namespace(name, labels=meta.get("labels"))
            if meta.get("annotations"):
                obj["metadata"]["annotations"] = dict(meta["annotations"])
            return obj if dry_run else cluster.put("namespaces", obj)
        if resource.plural == "pods":
            obj = objects.pod(namespace, name, labels=meta.get("labels"), annotations=meta.get("annotations"),
                              spec=body.get("spec"), created=meta.get("creationTimestamp"), ready=ready)
            if meta.get("ownerReferences"):
                obj["metadata"]["ownerReferences"] = meta["ownerReferences"]
            if dry_run:
                return obj
            controller.start_pod(cluster, obj, ready=ready)
            if (meta.get("annotations") or {}).get(TERMINATING_ANNOTATION) == "true":
                controller.mark_terminating(cluster, namespace, name)
            return copy.deepcopy(cluster.raw("pods", namespace, name))
        fresh = objects.base_metadata(name, namespace, created=meta.get("creationTimestamp"))
        meta.update({k: fresh[k] for k in ("uid", "creationTimestamp")})
        if namespace is not None:
            meta["namespace"] = namespace
        if resource.plural in WORKLOADS:
            FILL_DEFAULTS[resource.plural](body)
            if resource.plural != "replicasets":
                _check_selector(body)
            if dry_run:
                return body
            cluster.put(resource.plural, body)
            controller.sync(cluster, resource.plural, namespace, name)
            return copy.deepcopy(cluster.raw(resource.plural, namespace, name))
        if resource.plural == "nodes":
            obj = objects.generic(body, None)
            obj.setdefault("status", objects.node(name)["status"])
            if dry_run:
                return obj
            cluster.put("nodes", obj)
            controller.nodes_changed(cluster)
            return copy.deepcopy(obj)
        obj = objects.generic(body, namespace)
        return obj if dry_run else copy.deepcopy(cluster.put(resource.plural, obj))


def _check_selector(dep: dict) -> None:
    from .selectors import labels_match, selector_from_spec

    labels = dep["spec"]["template"].get("metadata", {}).get("labels") or {}
    if not labels_match(selector_from_spec(dep["spec"].get("selector")), labels):
        raise ApiError(422, "Invalid",
                       f'{dep.get("kind", "Deployment")}.apps "{dep["metadata"]["name"]}" is invalid: spec.template.metadata.labels: '
                       f"Invalid value: {labels}: `selector` does not match template `labels`")


def replace(cluster: Cluster, resource: Resource, namespace: str | None, name: str, new: dict) -> dict:
    """Store a changed version of an existing object (PUT, or the result of a PATCH)."""
    with cluster.lock:
        old = cluster.raw(resource.plural, namespace, name)
        if old is None:
            raise not_found(resource, name)
        new = copy.deepcopy(new)
        new["apiVersion"], new["kind"] = resource.api_version, resource.kind
        meta = new.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise bad_request(f'the name of the object ({meta.get("name")}) does not match the name on the URL ({name})')
        for key in ("name", "namespace", "uid", "creationTimestamp", "ownerReferences", "deletionTimestamp",
                    "generateName", "generation"):
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
            else:
                meta.pop(key, None)
        if resource.plural in WORKLOADS:
            FILL_DEFAULTS[resource.plural](new)
            if resource.plural != "replicasets":
                _check_selector(new)
            new["status"] = old.get("status", {})
            if new["spec"] != old["spec"]:
                meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
            old.clear()
            old.update(new)
            cluster.put(resource.plural, old)
            controller.sync(cluster, resource.plural, namespace or "", name)
            return copy.deepcopy(cluster.raw(resource.plural, namespace, name) or old)
        if resource.plural == "pods":
            # Only metadata (labels, annotations) is mutable on a running pod; ephemeral
            # containers come through their own subresource (replace_ephemeral).
            new["spec"], new["status"] = old["spec"], old["status"]
        old.clear()
        old.update(new)
        cluster.put(resource.plural, old)
        if resource.plural == "pods":
            controller.on_pod_changed(cluster, old)
        if resource.plural == "nodes":
            controller.nodes_changed(cluster)
        return copy.deepcopy(old)


def replace_ephemeral(cluster: Cluster, namespace: str, name: str, new: dict) -> dict:
    """pods/NAME/ephemeralcontainers: only spec.ephemeralContainers may change, and only by
    adding (podEphemeralContainersStrategy); a new one starts once the pod runs."""
    with cluster.lock:
        pod = cluster.raw("pods", namespace, name)
        if pod is None:
            raise not_found(BY_PLURAL["pods"], name)
        wanted = list((new.get("spec") or {}).get("ephemeralContainers") or [])
        current = list(pod["spec"].get("ephemeralContainers") or [])
        names = [c.get("name") for c in wanted]
        existing = {c["name"]: c for c in current}
        for c in current:
            if c["name"] not in names:
                raise ApiError(422, "Invalid", f'Pod "{name}" is invalid: spec.ephemeralContainers: Forbidden: '
                                               "existing ephemeral containers may not be removed")
        taken = {c["name"] for _, c in kubelet.all_containers(pod) if c["name"] not in existing}
        for c in wanted:
            if c.get("name") in taken:
                raise ApiError(422, "Invalid", f'Pod "{name}" is invalid: spec.ephemeralContainers[0].name: '
                                               f'Duplicate value: "{c.get("name")}"')
        pod["spec"]["ephemeralContainers"] = [existing.get(c["name"]) or objects.normalize_containers([c], c["name"])[0]
                                              for c in wanted]
        objects.set_pod_status(pod, phase=pod["status"].get("phase", "Pending"), ready=_all_ready_before(pod))
        cluster.put("pods", pod)
        return copy.deepcopy(pod)


def _all_ready_before(pod: dict) -> bool:
    return all(cs.get("ready") for cs in pod["status"].get("containerStatuses") or [])


def replace_status(cluster: Cluster, resource: Resource, namespace: str | None, name: str, status: Any) -> dict:
    """PUT/PATCH on the status subresource: only .status changes."""
    with cluster.lock:
        obj = cluster.raw(resource.plural, namespace, name)
        if obj is None:
            raise not_found(resource, name)
        obj["status"] = copy.deepcopy(status)
        cluster.put(resource.plural, obj)
        return copy.deepcopy(obj)


def delete(cluster: Cluster, resource: Resource, namespace: str | None, name: str, *,
           grace: float | None = None, replace_pod: bool = True) -> dict:
    with cluster.lock:
        obj = cluster.raw(resource.plural, namespace, name)
        if obj is None:
            raise not_found(resource, name)
        snapshot = copy.deepcopy(obj)
        if resource.plural == "pods":
            result = controller.terminate_pod(cluster, namespace or "", name, grace=grace, replace=replace_pod)
            return copy.deepcopy(result or snapshot)
        if resource.plural in WORKLOADS:
            controller.delete_workload(cluster, resource.plural, obj)
        elif resource.plural == "namespaces":
            controller.delete_namespace(cluster, name)
            snapshot.setdefault("status", {})["phase"] = "Terminating"
        else:
            cluster.remove(resource.plural, namespace, name)
            if resource.plural == "nodes":
                controller.nodes_changed(cluster)
        return snapshot


def scale_of(obj: dict) -> dict[str, Any]:
    from .selectors import selector_string

    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                     "creationTimestamp") if k in obj["metadata"]},
        "spec": {"replicas": obj["spec"].get("replicas", 1)},
        "status": {"replicas": obj.get("status", {}).get("replicas", 0),
                   "selector": selector_string(obj["spec"].get("selector"))},
    }
