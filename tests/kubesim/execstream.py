"""pods/NAME/exec over WebSocket: the remotecommand protocol kubectl >= 1.30 speaks.

Subprotocols v5.channel.k8s.io (kubectl 1.30+) and v4.channel.k8s.io. Every binary
message starts with a channel byte:

    0 stdin (client -> server)     3 status: a JSON metav1.Status, sent once at the end
    1 stdout                       4 resize (client -> server): {"Width": W, "Height": H}
    2 stderr                     255 close (v5, client -> server): [255, 0] = stdin is done

The status is Success, or Failure with reason NonZeroExitCode and the exit code as
an "ExitCode" cause, so `kubectl exec` exits with the remote code. Then the server
closes the WebSocket normally, which ends kubectl's stdout/stderr copies.

The "container" is a local process in the pod's directory (see container.py). It is
killed (its whole process group) when the stream closes, when its pod is deleted
and when the server stops: no orphans.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from . import container as containers
from .resources import BY_PLURAL
from .server import ExecEvent, ExecHook, Simulation
from .status import ApiError, bad_request, not_found

if TYPE_CHECKING:
    from .api import RequestInfo
    from .store import Cluster

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, STATUS, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
# After the process exits, how long to wait for its output pipes to reach EOF
# (a background child may hold them open; we do not wait for it forever).
DRAIN_SECONDS = 1.0


def _flag(query, name: str) -> bool:
    return query.get(name, "").lower() in ("1", "true")


def install_pod_removal_hooks(sim: Simulation) -> None:
    """When a pod leaves the store, kill the processes exec'd into it."""
    for cluster in sim.clusters.values():
        def on_removed(namespace: str, pod: str, cluster_name: str = cluster.name) -> None:
            for session in list(sim.sessions):
                if (session.event.cluster, session.event.namespace, session.event.pod) == (
                        cluster_name, namespace, pod):
                    session.kill()

        cluster.pod_removed_hooks.append(on_removed)


async def run_hook(hook: ExecHook, event: ExecEvent) -> None:
    """Run a test's hook in a worker thread: it may call the blocking Python API or stop()."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def target() -> None:
        error = None
        try:
            hook.fn(event)
        except BaseException as exc:  # reported to the handler, which answers 500
            error = exc
        try:
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(error))
        except RuntimeError:
            pass  # the hook stopped the server: the loop is gone

    threading.Thread(target=target, name="kubesim-exec-hook", daemon=True).start()
    error = await done
    if error is not None:
        raise ApiError(500, "InternalError", f"kubesim exec hook failed: {error!r}")


def _resolve(cluster: "Cluster", info: "RequestInfo", requested: str | None) -> tuple[dict, dict]:
    pod = cluster.get("pods", info.namespace, info.name)
    if pod is None:
        raise not_found(BY_PLURAL["pods"], info.name)
    specs = pod["spec"]["containers"]
    names = [c["name"] for c in specs]
    if not requested:
        if len(names) != 1:
            raise bad_request(f"a container name must be specified for pod {info.name}, "
                              f"choose one of: [{' '.join(names)}]")
        requested = names[0]
    if requested not in names:
        raise bad_request(f"container {requested} is not valid for pod {info.name}")
    phase = pod["status"].get("phase")
    if phase == "Pending":
        raise bad_request(f'unable to upgrade connection: container not found ("{requested}")')
    if phase != "Running":
        raise bad_request(f"cannot exec into a container in a completed pod; current phase is {phase}")
    return pod, specs[names.index(requested)]


async def handle_exec(sim: Simulation, cluster: "Cluster", info: "RequestInfo",
                      request: web.Request) -> web.StreamResponse:
    q = request.query
    command = q.getall("command", [])
    event = ExecEvent(cluster.name, info.namespace or "", info.name or "", q.get("container", ""),
                      command, _flag(q, "tty"))
    hook = sim.take_exec_hook("before")
    if hook is not None:
        await run_hook(hook, event)
    pod, spec = _resolve(cluster, info, q.get("container"))
    event.container = spec["name"]
    if not command:
        raise bad_request("you must specify at least one command for the container")

    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, max_msg_size=0, timeout=2.0)
    if not ws.can_prepare(request).ok:
        # kubectl retries over SPDY when the WebSocket upgrade fails; we speak only WebSocket.
        raise bad_request("Upgrade request required: kubesim serves exec over WebSocket "
                          f"({', '.join(PROTOCOLS)}) only")
    await ws.prepare(request)
    if ws.ws_protocol not in PROTOCOLS:
        await ws.close()
        return ws
    session = ExecSession(sim, cluster, ws, event, pod, spec,
                          stdin=_flag(q, "stdin"), stdout=_flag(q, "stdout"), stderr=_flag(q, "stderr"))
    sim.sessions.add(session)
    try:
        await session.run()
    finally:
        session.kill()
        if session.process is not None:
            session.process.dispose()
        sim.sessions.discard(session)
    return ws


class ExecSession:
    """One exec: a container process wired to a WebSocket."""

    def __init__(self, sim: Simulation, cluster: "Cluster", ws: web.WebSocketResponse, event: ExecEvent,
                 pod: dict, spec: dict, *, stdin: bool, stdout: bool, stderr: bool):
        self.sim, self.cluster, self.ws, self.event = sim, cluster, ws, event
        self.pod, self.spec = pod, spec
        self.want_stdin, self.want_stdout, self.want_stderr = stdin, stdout, stderr
        self.v5 = ws.ws_protocol == PROTOCOLS[0]
        self.process: containers.ContainerProcess | None = None
        self._send_lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self) -> None:
        """Kill the process group (thread-safe; called on close, pod deletion and stop)."""
        if self.process is not None:
            self.process.kill()

    async def send(self, channel: int, data: bytes) -> None:
        async with self._send_lock:
            await self.ws.send_bytes(bytes([channel]) + data)

    async def run(self) -> None:
        try:
            self.process = await containers.start(
                self.cluster, self.pod, self.spec, self.event.command, tty=self.event.tty,
                stdin=self.want_stdin, stdout=self.want_stdout, stderr=self.want_stderr and not self.event.tty)
        except containers.StartError as exc:
            await self.send(STATUS, json.dumps(exc.status).encode())
            await self.ws.close()
            return
        self.event.pid = self.process.pid
        with self.sim.lock:
            self.sim.execs.append(self.event)
        hook = self.sim.take_exec_hook("started")
        if hook is not None:
            asyncio.get_running_loop().create_task(_quietly(run_hook(hook, self.event)))

        receiver = asyncio.create_task(self._receive())
        pumps = [asyncio.create_task(self._pump(stream, channel))
                 for stream, channel in self.process.outputs()]
        exited = asyncio.create_task(self.process.wait())
        await asyncio.wait({receiver, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            # The client went away (or the server is stopping): no one to report to.
            self.kill()
            await asyncio.gather(exited, *pumps, return_exceptions=True)
            return
        code = exited.result()
        self.event.exit_code = code
        if pumps:
            _, pending = await asyncio.wait(pumps, timeout=DRAIN_SECONDS)
            if pending:
                self.kill()
                await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self.send(STATUS, json.dumps(exit_status(code, self.event.command)).encode())
            await self.ws.close()
        except (ConnectionResetError, RuntimeError):
            pass
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)

    async def _pump(self, stream, channel: int) -> None:
        while True:
            chunk = await stream.read()
            if not chunk:
                return
            try:
                await self.send(channel, chunk)
            except (ConnectionResetError, RuntimeError):
                return

    async def _receive(self) -> None:
        async for msg in self.ws:
            if msg.type != WSMsgType.BINARY or not msg.data:
                continue
            channel, payload = msg.data[0], msg.data[1:]
            if channel == STDIN:
                await self.process.write_stdin(payload)
            elif channel == RESIZE:
                try:
                    size = json.loads(payload)
                    self.process.resize(int(size["Width"]), int(size["Height"]))
                    self.event.sizes.append((int(size["Width"]), int(size["Height"])))
                except (ValueError, KeyError, TypeError):
                    pass
            elif channel == CLOSE and self.v5 and payload[:1] == bytes([STDIN]):
                self.process.close_stdin()


async def _quietly(coro) -> None:
    try:
        await coro
    except (ApiError, asyncio.CancelledError):
        pass


def exit_status(code: int, command: list[str]) -> dict:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": (f"command terminated with non-zero exit code: error executing command "
                    f"[{' '.join(command)}], exit code {code}"),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
