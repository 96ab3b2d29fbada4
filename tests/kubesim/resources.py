"""The resource kinds the simulator serves, and the discovery documents kubectl reads.

One table (RESOURCES) drives everything that needs to know "which kinds exist":
URL routing, RBAC messages, `kubectl api-resources`, short names (`po`, `deploy`)
and the `all` category used by `kubectl get all`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The server claims this version: the gcloud kubectl dispatcher asks /version and
# runs the kubectl binary whose minor version matches, so this selects kubectl 1.32.
SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "0000000000000000000000000000000000kubesim",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T00:00:00Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Subresource:
    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = "v1"


@dataclass(frozen=True)
class Resource:
    """One REST resource, e.g. pods in group "" version v1."""

    plural: str
    kind: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True
    verbs: tuple[str, ...] = ALL_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = field(default=())

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How the API server names the resource in messages: `pods`, `deployments.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _scale_and_status(group: str, kind: str) -> tuple[Subresource, ...]:
    return (
        Subresource("scale", "Scale", ("get", "patch", "update"), group="autoscaling"),
        Subresource("status", kind, ("get", "patch", "update"), group=group),
    )


RESOURCES: tuple[Resource, ...] = (
    Resource("namespaces", "Namespace", namespaced=False, short_names=("ns",),
             verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    Resource("nodes", "Node", namespaced=False, short_names=("no",)),
    Resource(
        "pods", "Pod", short_names=("po",), categories=("all",),
        subresources=(
            Subresource("attach", "PodAttachOptions", ("create", "get")),
            Subresource("ephemeralcontainers", "Pod", ("get", "patch", "update")),
            Subresource("exec", "PodExecOptions", ("create", "get")),
            Subresource("log", "Pod", ("get",)),
            Subresource("status", "Pod", ("get", "patch", "update")),
        ),
    ),
    Resource("services", "Service", short_names=("svc",), categories=("all",)),
    Resource("configmaps", "ConfigMap", short_names=("cm",)),
    Resource("persistentvolumeclaims", "PersistentVolumeClaim", short_names=("pvc",)),
    Resource("secrets", "Secret"),
    Resource("events", "Event", short_names=("ev",)),
    Resource("serviceaccounts", "ServiceAccount", short_names=("sa",)),
    # RBAC objects are stored and listed so manifests that carry them load (the example
    # monorepo's k8s/rbac.yaml); access is decided by the users in auth.py, not by them.
    Resource("roles", "Role", group="rbac.authorization.k8s.io"),
    Resource("rolebindings", "RoleBinding", group="rbac.authorization.k8s.io"),
    Resource("deployments", "Deployment", group="apps", short_names=("deploy",),
             categories=("all",), subresources=_scale_and_status("apps", "Deployment")),
    Resource("replicasets", "ReplicaSet", group="apps", short_names=("rs",),
             categories=("all",), subresources=_scale_and_status("apps", "ReplicaSet")),
    Resource("statefulsets", "StatefulSet", group="apps", short_names=("sts",),
             categories=("all",), subresources=_scale_and_status("apps", "StatefulSet")),
    Resource("daemonsets", "DaemonSet", group="apps", short_names=("ds",), categories=("all",),
             subresources=(Subresource("status", "DaemonSet", ("get", "patch", "update"), group="apps"),)),
    Resource("controllerrevisions", "ControllerRevision", group="apps"),
    Resource("selfsubjectaccessreviews", "SelfSubjectAccessReview",
             group="authorization.k8s.io", namespaced=False, verbs=("create",)),
    Resource("selfsubjectrulesreviews", "SelfSubjectRulesReview",
             group="authorization.k8s.io", namespaced=False, verbs=("create",)),
    Resource("selfsubjectreviews", "SelfSubjectReview",
             group="authentication.k8s.io", namespaced=False, verbs=("create",)),
)

BY_PLURAL = {r.plural: r for r in RESOURCES}


def lookup(group: str, version: str, plural: str) -> Resource | None:
    r = BY_PLURAL.get(plural)
    if r is None or r.group != group or r.version != version:
        return None
    return r


def groups() -> dict[str, str]:
    """Named API groups (not the core group) -> their one version."""
    out: dict[str, str] = {}
    for r in RESOURCES:
        if r.group:
            out.setdefault(r.group, r.version)
    return out


# --- legacy discovery (/api, /apis, /api/v1, /apis/GROUP/VERSION) -----------------


def api_versions() -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def api_group_list() -> dict:
    items = []
    for group, version in groups().items():
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        items.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": items}


def api_resource_list(group: str, version: str) -> dict | None:
    members = [r for r in RESOURCES if r.group == group and r.version == version]
    if not members:
        return None
    resources = []
    for r in members:
        entry = {
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
        for s in r.subresources:
            resources.append({
                "name": f"{r.plural}/{s.name}", "singularName": "", "namespaced": r.namespaced,
                "group": s.group, "version": s.version, "kind": s.kind, "verbs": list(s.verbs),
            })
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


# --- aggregated discovery (apidiscovery.k8s.io): two requests instead of 2 + N -----


def _aggregated_resource(r: Resource) -> dict:
    entry = {
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        entry["shortNames"] = list(r.short_names)
    if r.categories:
        entry["categories"] = list(r.categories)
    if r.subresources:
        entry["subresources"] = [
            {"subresource": s.name,
             "responseKind": {"group": s.group, "version": s.version, "kind": s.kind},
             "verbs": list(s.verbs)}
            for s in r.subresources
        ]
    return entry


def aggregated_discovery(core: bool, api_version: str) -> dict:
    """APIGroupDiscoveryList for /api (core=True) or /apis (core=False)."""
    if core:
        wanted = {"": "v1"}
    else:
        wanted = groups()
    items = []
    for group, version in wanted.items():
        members = [r for r in RESOURCES if r.group == group and r.version == version]
        items.append({
            "metadata": {"name": group, "creationTimestamp": None} if group else {"creationTimestamp": None},
            "versions": [{
                "version": version,
                "resources": [_aggregated_resource(r) for r in members],
                "freshness": "Current",
            }],
        })
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": api_version,
        "metadata": {},
        "items": items,
    }


# --- OpenAPI v3: only what kubectl needs to choose server-side field validation ------
#
# `kubectl apply/create -f` validates manifests. It asks /openapi/v3 whether the PATCH
# operation of the kind takes a `fieldValidation` query parameter; if so it leaves
# validation to the server (which kubesim does not do) instead of downloading schemas.


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_root() -> dict:
    gvs = {("", "v1")} | {(g, v) for g, v in groups().items()}
    return {"paths": {_gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash=kubesim"}
                      for g, v in sorted(gvs)}}


def openapi_v3_document(gv_path: str) -> dict | None:
    members = [r for r in RESOURCES if _gv_path(r.group, r.version) == gv_path]
    if not members:
        return None
    paths = {}
    for r in members:
        if "patch" not in r.verbs:
            continue
        scope = "namespaces/{namespace}/" if r.namespaced else ""
        paths[f"/{gv_path}/{scope}{r.plural}/{{name}}"] = {"patch": {
            "operationId": f"patch{r.kind}",
            "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
            "x-kubernetes-action": "patch",
            "parameters": [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                           for name in ("dryRun", "fieldManager", "fieldValidation", "force")],
            "responses": {"200": {"description": "OK"}},
        }}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": {}}}
