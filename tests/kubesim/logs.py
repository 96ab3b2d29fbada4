"""GET pods/NAME/log: container logs with tailLines, sinceSeconds, timestamps, limitBytes
and follow (a chunked stream that ends when the pod goes away or the server stops).

Logs come from the simulator, not from processes: the pod annotation
`kubesim.emb.dev/log` seeds every container's log at start, and the Python API
`sim.append_log(...)` adds lines later (a follower sees them at once).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from . import kubelet
from .resources import BY_PLURAL
from .status import ApiError, bad_request, not_found

if TYPE_CHECKING:
    from .api import RequestInfo
    from .store import Cluster, LogLine

POLL_SECONDS = 0.25


def pick_container(pod: dict, requested: str | None) -> str:
    names = [c["name"] for c in pod["spec"]["containers"]]
    pod_name = pod["metadata"]["name"]
    if not requested:
        if len(names) == 1:
            return names[0]
        every = " ".join(c["name"] for _, c in kubelet.all_containers(pod))
        raise bad_request(f"a container name must be specified for pod {pod_name}, choose one of: [{every}]")
    if kubelet.find_container(pod, requested) is None:
        raise bad_request(f"container {requested} is not valid for pod {pod_name}")
    return requested


def _kubelet_query(query) -> str:
    """The params LogLocation passes on to the kubelet (url.Values.Encode sorts them)."""
    keys = ("follow", "limitBytes", "previous", "sinceSeconds", "sinceTime", "tailLines", "timestamps")
    return urlencode([(k, query[k]) for k in keys if k in query and query[k] not in ("", "false")])


def _check_kubelet_view(cluster: "Cluster", pod: dict, container: str, query) -> None:
    """pkg/kubelet/kubelet_pods.go validateContainerLogStatus, and the dial to the kubelet."""
    name, ns = pod["metadata"]["name"], pod["metadata"]["namespace"]
    dial = kubelet.kubelet_dial_error(cluster, pod)
    if dial:
        # The API server's LocationStreamer: client.Do fails; Go's url.Error, reason unknown.
        url = kubelet.kubelet_url(cluster, pod, f"/containerLogs/{ns}/{name}/{container}", _kubelet_query(query))
        raise ApiError(500, "", f'Get "{url}": {dial}')
    cs = kubelet.container_status(pod, container) or {}
    state, last = cs.get("state") or {}, (cs.get("lastState") or {}).get("terminated")
    if query.get("previous", "").lower() == "true":
        if not last:
            raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        return
    if "running" in state or "terminated" in state or last:
        return
    reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
    raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {reason}')


def _format(lines: list["LogLine"], timestamps: bool) -> bytes:
    return "".join(f"{line.time} {line.text}\n" if timestamps else f"{line.text}\n" for line in lines).encode()


def _select(lines: list["LogLine"], query) -> list["LogLine"]:
    if "sinceSeconds" in query:
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=int(query["sinceSeconds"]))
        lines = [ln for ln in lines if ln.time[:19] >= cutoff.strftime("%Y-%m-%dT%H:%M:%S")]
    elif "sinceTime" in query:
        lines = [ln for ln in lines if ln.time[:19] >= query["sinceTime"][:19]]
    if "tailLines" in query:
        tail = int(query["tailLines"])
        lines = lines[-tail:] if tail > 0 else []
    return lines


async def handle_log(cluster: "Cluster", info: "RequestInfo", request: web.Request) -> web.StreamResponse:
    q = request.query
    pod = cluster.get("pods", info.namespace, info.name)
    if pod is None:
        raise not_found(BY_PLURAL["pods"], info.name)
    container = pick_container(pod, q.get("container"))
    if not pod["spec"].get("nodeName"):
        # LogLocation: "If pod has not been assigned a host, return an empty location"
        return web.Response(body=b"", content_type="text/plain", charset="utf-8")
    _check_kubelet_view(cluster, pod, container, q)
    timestamps = q.get("timestamps", "").lower() == "true"
    limit = int(q["limitBytes"]) if "limitBytes" in q else None
    follow = q.get("follow", "").lower() == "true"

    with cluster.lock:
        lines = cluster.log_lines(info.namespace, info.name, container)
        watcher, _ = cluster.subscribe("pods/log", info.namespace, None) if follow else (None, None)
    data = _format(_select(lines, q), timestamps)
    if not follow:
        return web.Response(body=data[:limit] if limit is not None else data,
                            content_type="text/plain", charset="utf-8")

    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    sent = 0
    try:
        chunk = data[:limit] if limit is not None else data
        await response.write(chunk)
        sent = len(chunk)
        seen = len(lines)
        uid = pod["metadata"]["uid"]
        while limit is None or sent < limit:
            try:
                await asyncio.wait_for(watcher.queue.get(), POLL_SECONDS)
            except asyncio.TimeoutError:
                pass
            current = cluster.get("pods", info.namespace, info.name)
            if current is None or current["metadata"]["uid"] != uid:
                break  # the container is gone: a real follow ends here too
            lines = cluster.log_lines(info.namespace, info.name, container)
            if len(lines) > seen:
                chunk = _format(lines[seen:], timestamps)
                if limit is not None:
                    chunk = chunk[: limit - sent]
                await response.write(chunk)
                sent += len(chunk)
                seen = len(lines)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        cluster.unsubscribe(watcher)
    return response
