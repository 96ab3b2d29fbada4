"""The REST side of the API server: URL parsing, authentication, RBAC, CRUD, watch.

One catch-all aiohttp handler: it works out which cluster, resource, namespace,
name and verb a URL means (like the API server's RequestInfo), checks the bearer
token and the user's rules, then hands over to the CRUD code here or to the
streaming handlers for pods/log and pods/exec.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import yaml
from aiohttp import web

from . import actions, resources, tables
from .patch import apply_patch
from .resources import Resource
from .selectors import SelectorError, labels_match, parse_field_selector, parse_label_selector
from .status import ApiError, bad_request, forbidden, method_not_allowed, not_found, unauthorized

if TYPE_CHECKING:
    from .server import Simulation
    from .store import Cluster

CLUSTER_PREFIX = "/clusters/"
# The request's RequestRecord (exec streams set its status to 101 once upgraded).
RECORD_KEY = web.RequestKey("kubesim.record", object) if hasattr(web, "RequestKey") else "kubesim.record"
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")


@dataclass
class RequestInfo:
    """What a request is about, in the API server's terms."""

    cluster: str
    path: str  # without the cluster prefix
    verb: str
    resource: Resource | None = None
    subresource: str | None = None
    namespace: str | None = None
    name: str | None = None

    @property
    def rbac_resource(self) -> str:
        if self.resource is None:
            return ""
        return self.resource.plural + (f"/{self.subresource}" if self.subresource else "")


def split_cluster(path: str, known: set[str]) -> tuple[str, str]:
    """`/clusters/two/api/v1/...` -> ("two", "/api/v1/..."); anything else is cluster "sim"."""
    if path.startswith(CLUSTER_PREFIX):
        rest = path[len(CLUSTER_PREFIX):]
        name, _, tail = rest.partition("/")
        if name in known:
            return name, "/" + tail
    return "sim", path


def _is_watch(request: web.Request) -> bool:
    return request.query.get("watch", "").lower() in ("1", "true")


def parse_request(request: web.Request, cluster: str, path: str) -> RequestInfo:
    segs = [unquote(s) for s in path.strip("/").split("/") if s]
    method = request.method
    info = RequestInfo(cluster=cluster, path=path, verb=method.lower())
    if len(segs) >= 2 and segs[0] == "api":
        group, version, rest = "", segs[1], segs[2:]
    elif len(segs) >= 3 and segs[0] == "apis":
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        return info  # a non-resource URL (discovery, /version, ...)
    if not rest:
        return info
    namespace_subresource = len(rest) == 3 and group == "" and rest[2] in ("status", "finalize")
    if rest[0] == "namespaces" and len(rest) >= 3 and not namespace_subresource:
        info.namespace, rest = rest[1], rest[2:]
    # else: /api/v1/namespaces[/NAME[/status]] are the namespace objects themselves.
    resource = resources.lookup(group, version, rest[0])
    if resource is None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    info.resource = resource
    info.name = rest[1] if len(rest) > 1 else None
    info.subresource = rest[2] if len(rest) > 2 else None
    if info.name is None:
        info.verb = {"GET": "watch" if _is_watch(request) else "list", "POST": "create",
                     "DELETE": "deletecollection"}.get(method, method.lower())
    else:
        info.verb = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                     "DELETE": "delete"}.get(method, method.lower())
        # pods/exec and pods/attach keep the HTTP method's verb: the WebSocket upgrade is a
        # GET, authorized as "get" up to 1.34 (kubernetes#78741); the SPDY one a POST, "create".
    return info


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")


def error_response(err: ApiError) -> web.Response:
    return json_response(err.body(), status=err.code)


# --- authentication and authorization -----------------------------------------------


def authenticate(sim: "Simulation", request: web.Request) -> str | None:
    """The user name for the bearer token; None when no token was sent. Bad token -> 401."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    user = sim.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise unauthorized()
    return user.name


def authorize(sim: "Simulation", user: str | None, info: RequestInfo) -> None:
    if info.path in PUBLIC_PATHS:
        return  # like system:public-info-viewer; the kubectl dispatcher asks /version without a token
    if user is None:
        raise unauthorized()
    if info.resource is None:
        return  # discovery is open to every authenticated user
    if not sim.users[user].can(info.verb, info.rbac_resource, info.namespace):
        raise forbidden(user, info.verb, info.resource, info.subresource, info.namespace, info.name,
                        info.path)


# --- the handler --------------------------------------------------------------------


async def handle(request: web.Request) -> web.StreamResponse:
    from .server import SIM_KEY

    sim: Simulation = request.app[SIM_KEY]
    cluster_name, path = split_cluster(request.path, set(sim.clusters))
    record = sim.record(request, cluster_name, path)
    request[RECORD_KEY] = record
    try:
        user = authenticate(sim, request)
        record.user = user
        info = parse_request(request, cluster_name, path)
        record.verb = info.verb
        record.resource = info.rbac_resource
        authorize(sim, user, info)
        response = await dispatch(sim, sim.clusters[cluster_name], info, request, user)
    except ApiError as err:
        response = error_response(err)
    record.status = response.status
    return response


async def dispatch(sim: "Simulation", cluster: "Cluster", info: RequestInfo,
                   request: web.Request, user: str | None) -> web.StreamResponse:
    if info.resource is None:
        return discovery(info.path, request)
    if info.subresource in ("exec", "attach"):
        from .execstream import handle_exec

        return await handle_exec(sim, cluster, info, request)
    if info.subresource == "log":
        from .logs import handle_log

        return await handle_log(cluster, info, request)
    if info.resource.group in ("authorization.k8s.io", "authentication.k8s.io"):
        return await access_review(sim, user, info, request)
    if info.subresource not in (None, "status", "scale", "ephemeralcontainers"):
        raise not_found(info.resource, info.name or "")
    return await crud(cluster, info, request)


def discovery(path: str, request: web.Request) -> web.Response:
    accept = request.headers.get("Accept", "")
    path = path.rstrip("/") or "/"
    if path == "/version":
        return json_response(resources.SERVER_VERSION)
    if path in ("/healthz", "/livez", "/readyz"):
        return web.Response(text="ok")
    if path in ("/api", "/apis"):
        for version in ("v2", "v2beta1"):
            if f"v={version};as=APIGroupDiscoveryList" in accept:
                api_version = f"apidiscovery.k8s.io/{version}"
                body = resources.aggregated_discovery(path == "/api", api_version)
                return web.Response(
                    text=json.dumps(body), headers={
                        "Content-Type": f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"})
        return json_response(resources.api_versions() if path == "/api" else resources.api_group_list())
    if path == "/openapi/v3":
        return json_response(resources.openapi_v3_root())
    if path.startswith("/openapi/v3/"):
        doc = resources.openapi_v3_document(path[len("/openapi/v3/"):])
        if doc is not None:
            return json_response(doc)
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) == 2:
        body = resources.api_resource_list("", parts[1])
    elif parts[0] == "apis" and len(parts) == 3:
        body = resources.api_resource_list(parts[1], parts[2])
    elif parts[0] == "apis" and len(parts) == 2 and parts[1] in resources.groups():
        version = resources.groups()[parts[1]]
        gv = {"groupVersion": f"{parts[1]}/{version}", "version": version}
        body = {"kind": "APIGroup", "apiVersion": "v1", "name": parts[1], "versions": [gv], "preferredVersion": gv}
    else:
        body = None
    if body is None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return json_response(body)


# --- CRUD -----------------------------------------------------------------------------


async def read_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    if "protobuf" in request.content_type:
        from .protobuf import decode_object

        try:
            return decode_object(raw)
        except (ValueError, IndexError) as exc:
            raise ApiError(415, "UnsupportedMediaType", f"{exc}; kubesim accepts application/json")
    try:
        if "yaml" in request.content_type:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise bad_request(f"the request body is not valid: {exc}")


def with_kind(resource: Resource, obj: dict) -> dict:
    return {"apiVersion": resource.api_version, "kind": resource.kind,
            **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}


def render(request: web.Request, resource: Resource, items: list[dict], rv: str, *,
           single: bool, status: int = 200) -> web.Response:
    if tables.wants_table(request.headers.get("Accept", "")):
        include = request.query.get("includeObject", "Metadata")
        return json_response(tables.table(resource.plural, items, resource_version=rv,
                                          include_object=include), status)
    if single:
        return json_response(with_kind(resource, items[0]), status)
    return json_response({"kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                          "metadata": {"resourceVersion": rv},
                          "items": [with_kind(resource, o) for o in items]}, status)


def _selectors(request: web.Request):
    try:
        labels = parse_label_selector(request.query.get("labelSelector"))
        fields = parse_field_selector(request.query.get("fieldSelector"))
    except SelectorError as exc:
        raise bad_request(f"unable to parse requirement: {exc}")
    return lambda o: labels_match(labels, o["metadata"].get("labels")) and fields(o)


async def crud(cluster: "Cluster", info: RequestInfo, request: web.Request) -> web.StreamResponse:
    r = info.resource
    assert r is not None
    ns = info.namespace if r.namespaced else None
    if info.name is None:
        if info.verb == "watch":
            return await watch(cluster, r, ns, request)
        if info.verb == "list":
            matches = _selectors(request)
            with cluster.lock:
                rv = cluster.resource_version
                items = [o for o in cluster.list(r.plural, ns) if matches(o)]
            return render(request, r, items, rv, single=False)
        if info.verb == "create":
            body = await read_body(request)
            dry = "All" in request.query.getall("dryRun", [])
            obj = actions.create(cluster, r, ns, body, dry_run=dry)
            return render(request, r, [obj], obj["metadata"].get("resourceVersion", ""), single=True, status=201)
        raise method_not_allowed()

    if info.verb == "get":
        obj = cluster.get(r.plural, ns, info.name)
        if obj is None:
            raise not_found(r, info.name)
        if info.subresource == "scale":
            return json_response(actions.scale_of(obj))
        return render(request, r, [obj], obj["metadata"]["resourceVersion"], single=True)
    if info.verb == "delete":
        body = await read_body(request)
        grace = body.get("gracePeriodSeconds") if isinstance(body, dict) else None
        if grace is None and "gracePeriodSeconds" in request.query:
            grace = float(request.query["gracePeriodSeconds"])
        obj = actions.delete(cluster, r, ns, info.name, grace=grace)
        return json_response(with_kind(r, obj))
    if info.verb in ("patch", "update"):
        body = await read_body(request)
        with cluster.lock:
            current = cluster.get(r.plural, ns, info.name)
            if current is None:
                raise not_found(r, info.name)
            if info.subresource == "scale":
                scale = actions.scale_of(current)
                scale = apply_patch(scale, request.content_type, body) if info.verb == "patch" else body
                current["spec"]["replicas"] = int(scale["spec"]["replicas"])
                obj = actions.replace(cluster, r, ns, info.name, current)
                return json_response(actions.scale_of(obj))
            new = apply_patch(current, request.content_type, body) if info.verb == "patch" else body
            if info.subresource == "ephemeralcontainers":
                obj = actions.replace_ephemeral(cluster, ns, info.name, new)
            elif info.subresource == "status":
                obj = actions.replace_status(cluster, r, ns, info.name, new.get("status", current.get("status")))
            else:
                obj = actions.replace(cluster, r, ns, info.name, new)
        return render(request, r, [obj], obj["metadata"]["resourceVersion"], single=True)
    raise method_not_allowed()


async def watch(cluster: "Cluster", r: Resource, ns: str | None, request: web.Request) -> web.StreamResponse:
    """Newline-delimited watch events until the client goes, the timeout passes or we stop."""
    matches = _selectors(request)
    rv_param = request.query.get("resourceVersion", "")
    initial = request.query.get("sendInitialEvents", "").lower() == "true"
    since = int(rv_param) if rv_param.isdigit() and rv_param != "0" and not initial else None
    watcher, backlog = cluster.subscribe(r.plural, ns, since)
    if since is None:
        with cluster.lock:
            backlog = [("ADDED", o) for o in cluster.list(r.plural, ns)] + backlog
            start_rv = cluster.resource_version
    else:
        start_rv = rv_param
    as_table = tables.wants_table(request.headers.get("Accept", ""))
    include = request.query.get("includeObject", "Metadata")
    timeout = float(request.query.get("timeoutSeconds", "0") or 0) or None
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    first = True

    async def send(kind: str, obj: dict) -> None:
        nonlocal first
        if as_table and kind != "BOOKMARK":
            obj = tables.table(r.plural, [obj], resource_version=obj["metadata"]["resourceVersion"],
                               include_object=include, with_columns=first)
            first = False
        elif kind != "BOOKMARK":
            obj = with_kind(r, obj)
        await response.write((json.dumps({"type": kind, "object": obj}) + "\n").encode())

    try:
        for kind, obj in backlog:
            if matches(obj):
                await send(kind, obj)
        if initial:
            await send("BOOKMARK", {"kind": r.kind, "apiVersion": r.api_version, "metadata": {
                "resourceVersion": start_rv, "annotations": {"k8s.io/initial-events-end": "true"}}})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout else None
        while True:
            wait = None if deadline is None else max(deadline - loop.time(), 0)
            try:
                kind, obj = await asyncio.wait_for(watcher.queue.get(), wait)
            except asyncio.TimeoutError:
                break
            if matches(obj):
                await send(kind, obj)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        cluster.unsubscribe(watcher)
    return response


# --- kubectl auth can-i -----------------------------------------------------------------


async def access_review(sim: "Simulation", user: str | None, info: RequestInfo,
                        request: web.Request) -> web.Response:
    body = await read_body(request)
    account = sim.users[user] if user else None
    spec = body.get("spec", {})
    if info.resource.plural == "selfsubjectaccessreviews":
        attrs = spec.get("resourceAttributes")
        if attrs:
            resource = attrs.get("resource", "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
            allowed = bool(account and account.can(attrs.get("verb", ""), resource, attrs.get("namespace")))
        else:
            allowed = True  # non-resource URLs: discovery and /version are open
        body["status"] = {"allowed": allowed}
    elif info.resource.plural == "selfsubjectreviews":
        body["status"] = {"userInfo": {"username": user, "groups": ["system:authenticated"]}}
    else:
        rules = [{"verbs": list(rule.verbs), "apiGroups": ["*"], "resources": list(rule.resources)}
                 for rule in (account.rules if account else [])]
        body["status"] = {"resourceRules": rules,
                          "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis",
                                                                                       "/apis/*", "/version"]}],
                          "incomplete": False}
    body.setdefault("metadata", {})["creationTimestamp"] = None
    return json_response(with_kind(info.resource, body), status=201)
