"""pods/NAME/exec (and pods/NAME/attach): the remotecommand protocol, over WebSocket and SPDY.

kubectl >= 1.30 first sends `GET .../exec` as a WebSocket upgrade with subprotocol
v5.channel.k8s.io. Up to 1.34 the API server authorizes that GET as verb `get` on
pods/exec (kubernetes#78741; 1.35 also requires `create`, #134577), so a user with only
`create pods/exec` gets 403 there, and kubectl falls back (its FallbackExecutor retries
on any failed upgrade) to `POST .../exec` upgraded to SPDY/3.1, authorized as `create`.

Channels (WebSocket: the first byte of each binary message; SPDY: one stream each,
told apart by a `streamType` header): 0 stdin, 1 stdout, 2 stderr, 3 error/status (a
metav1.Status, sent once at the end), 4 resize ({"Width","Height"}), 255 close (v5:
[255, 0] = stdin is done). SPDY negotiates v4 (the kubelet offers v4..v1).

Where an error comes from decides how kubectl shows it:

- the API server (pod not found, container not valid, no node assigned, RBAC):
  a Status before the upgrade, e.g. `Error from server (BadRequest): ...`; the
  WebSocket attempt fails, SPDY gets the same answer and kubectl prints it.
- the kubelet (container not running, kubelet unreachable, the runtime cannot
  start the command): on the v5 WebSocket path the API server's stream translator
  (staging/src/k8s.io/apiserver/pkg/util/proxy/streamtranslator.go) has already
  upgraded, dials the kubelet over SPDY and wraps what fails as an InternalError on
  the status channel (`error: Internal error occurred: ...`); on SPDY and v4 the API
  server proxies the kubelet's own answer (`error: unable to upgrade connection:
  container not found ("api")`, `Error from server: error dialing backend: ...`).

The "container" is a local process in the pod's directory (container.py). When the
client goes away the process keeps running, as with containerd (kubernetes#89031,
kubectl#1076): its stdin gets EOF, its output goes nowhere. It dies with its pod and
when the server stops.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from . import container as containers
from . import kubelet
from .resources import BY_PLURAL
from .server import ExecEvent, ExecHook, Simulation
from .spdy import GOAWAY, PING, RST_STREAM, SYN_STREAM, Codec, ProtocolError
from .status import ApiError, bad_request, not_found

if TYPE_CHECKING:
    from .api import RequestInfo
    from .store import Cluster

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")  # WebSocket
SPDY_PROTOCOLS = ("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io")
STDIN, STDOUT, STDERR, STATUS, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
STREAM_TYPES = {"error": STATUS, "stdin": STDIN, "stdout": STDOUT, "stderr": STDERR, "resize": RESIZE}
STREAM_CREATION_TIMEOUT = 30.0  # remotecommand.DefaultStreamCreationTimeout


def _flag(query, name: str) -> bool:
    return query.get(name, "").lower() in ("1", "true")


def install_pod_removal_hooks(sim: Simulation) -> None:
    """When a pod leaves the store, its containers die: so do the processes exec'd into it."""
    for cluster in sim.clusters.values():
        def on_removed(namespace: str, pod: str, cluster_name: str = cluster.name) -> None:
            with sim.lock:
                sessions = list(sim.sessions)
            for session in sessions:
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


# --- the API server's part: before any upgrade -----------------------------------------------


def _validate_container(pod: dict, requested: str | None) -> str:
    """pkg/registry/core/pod/strategy.go validateContainer (names visited init, regular, ephemeral)."""
    name = pod["metadata"]["name"]
    if not requested:
        regular = pod["spec"].get("containers") or []
        if len(regular) == 1:
            return regular[0]["name"]
        if not regular:
            raise bad_request(f"a container name must be specified for pod {name}")
        names = " ".join(c["name"] for _, c in kubelet.all_containers(pod))
        raise bad_request(f"a container name must be specified for pod {name}, choose one of: [{names}]")
    if kubelet.find_container(pod, requested) is None:
        raise bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def api_server_checks(cluster: "Cluster", info: "RequestInfo", requested: str | None) -> tuple[dict, str]:
    pod = cluster.get("pods", info.namespace, info.name)
    if pod is None:
        raise not_found(BY_PLURAL["pods"], info.name)
    name = _validate_container(pod, requested)
    if not pod["spec"].get("nodeName"):
        # streamLocation: "If pod has not been assigned a host, return an empty location"
        raise bad_request(f"pod {info.name} does not have a host assigned")
    return pod, name


def _transport(request: web.Request) -> str | None:
    upgrade = request.headers.get("Upgrade", "").lower()
    if "upgrade" not in request.headers.get("Connection", "").lower():
        return None
    if upgrade == "websocket":
        return "websocket"
    if upgrade.startswith("spdy/3.1"):
        return "spdy"
    return None


# --- the kubelet's part ---------------------------------------------------------------------------


def kubelet_query(kind: str, query, command: list[str]) -> str:
    """The query string the API server sends the kubelet (streamParams, url.Values.Encode: sorted)."""
    params: list[tuple[str, str]] = [("command", c) for c in command] if kind == "exec" else []
    for key, flag in (("error", "stderr"), ("input", "stdin"), ("output", "stdout"), ("tty", "tty")):
        if _flag(query, flag):
            params.append((key, "1"))
    return urlencode(params)


def kubelet_failure(cluster: "Cluster", pod: dict, container: str, kind: str, query,
                    command: list[str]) -> tuple[str, str, str] | None:
    """What goes wrong between the API server and the kubelet: ("dial", Go's error, the
    kubelet URL) or ("kubelet", its plain-text answer, ""), else None."""
    dial = kubelet.kubelet_dial_error(cluster, pod)
    if dial:
        path = f"/{kind}/{pod['metadata']['namespace']}/{pod['metadata']['name']}/{container}"
        url = kubelet.kubelet_url(cluster, pod, path, kubelet_query(kind, query, command))
        return "dial", dial, url
    if not kubelet.container_running(pod, container):
        return "kubelet", kubelet.container_not_found(container), ""
    return None


def translated_failure(failure: tuple[str, str, str]) -> dict:
    """The stream translator's SPDY client failed: wrapped with apierrors.NewInternalError."""
    kind, text, url = failure
    if kind == "dial":
        # client-go transport/spdy Negotiate: "error sending request: %v" of Go's url.Error
        cause = f'error sending request: Post "{url}": {text}'
    else:
        # apimachinery spdy roundtripper NewConnection: not a Status body
        cause = f"unable to upgrade connection: {text}"
    return internal_error(cause)


def internal_error(cause: str) -> dict:
    return {"metadata": {}, "status": "Failure", "message": f"Internal error occurred: {cause}",
            "reason": "InternalError", "details": {"causes": [{"message": cause}]}, "code": 500}


def direct_failure_response(failure: tuple[str, str, str]) -> web.Response:
    """The API server proxying the kubelet (UpgradeAwareHandler), no translation."""
    kind, text, _ = failure
    if kind == "dial":
        # upgradeaware.go dial(): "error dialing backend: %v" -> Status, reason unknown
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": f"error dialing backend: {text}", "code": 500}
        return web.Response(text=json.dumps(body), status=500, content_type="application/json")
    # the kubelet's streaming.WriteError: a plain-text 500, echoed as is
    return web.Response(text=text, status=500, content_type="text/plain")


def exit_status(code: int, command: list[str], *, translated: bool) -> dict:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    if translated:  # streamtranslator.go codeExitToStatusError
        message = f"command terminated with non-zero exit code: command terminated with exit code {code}"
    else:  # kubelet ServeExec, with containerd's CodeExitError text
        message = (f"command terminated with non-zero exit code: error executing command "
                   f"[{' '.join(command)}], exit code {code}")
    return {"metadata": {}, "status": "Failure", "message": message, "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def start_error_status(error: containers.StartError, *, translated: bool) -> dict:
    status = error.status  # kubelet ServeExec: NewInternalError("error executing command in container: ...")
    if translated:
        # The translator's SPDY client turns that Status into errors.New(message)
        # (client-go errorDecoderV4) and wraps it in NewInternalError once more.
        return internal_error(status["message"])
    return status


# --- entry point ----------------------------------------------------------------------------------


async def handle_exec(sim: Simulation, cluster: "Cluster", info: "RequestInfo",
                      request: web.Request) -> web.StreamResponse:
    q = request.query
    kind = info.subresource or "exec"
    command = q.getall("command", []) if kind == "exec" else []
    event = ExecEvent(cluster.name, info.namespace or "", info.name or "", q.get("container", ""),
                      command, _flag(q, "tty"), kind=kind)
    hook = sim.take_exec_hook("before")
    if hook is not None:
        await run_hook(hook, event)
    pod, name = api_server_checks(cluster, info, q.get("container"))
    event.container = name
    spec = kubelet.find_container(pod, name)
    transport = _transport(request)
    if transport is None:
        raise bad_request("Upgrade request required")
    if kind == "exec" and not command:
        raise bad_request("you must specify at least one command for the container")
    event.transport = transport
    opts = {"stdin": _flag(q, "stdin"), "stdout": _flag(q, "stdout"), "stderr": _flag(q, "stderr") and not event.tty}
    failure = kubelet_failure(cluster, pod, name, kind, q, command)

    if transport == "websocket":
        ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=False, max_msg_size=0, timeout=2.0)
        if not ws.can_prepare(request).ok:
            raise bad_request("Upgrade request required")
        chosen = ws.can_prepare(request).protocol
        translated = chosen == PROTOCOLS[0]
        if failure and not translated:
            return direct_failure_response(failure)
        await ws.prepare(request)
        _upgraded(request)
        if ws.ws_protocol not in PROTOCOLS:
            await ws.close()
            return ws
        channel: Channel = WsChannel(ws, request, v5=translated)
        event.protocol = ws.ws_protocol
    else:
        translated = False
        if failure:
            return direct_failure_response(failure)
        offered = [p.strip() for h in request.headers.getall("X-Stream-Protocol-Version", [])
                   for p in h.split(",") if p.strip()]
        protocol = next((p for p in offered if p in SPDY_PROTOCOLS), None)
        if protocol is None:
            # httpstream.Handshake
            return web.Response(status=403, text=(
                f"unable to upgrade: unable to negotiate protocol: client supports {_go_list(offered)}, "
                f"server accepts {_go_list(SPDY_PROTOCOLS)}"),
                headers={"X-Accepted-Stream-Protocol-Versions": ", ".join(SPDY_PROTOCOLS)})
        expected = 1 + sum(opts.values()) + (1 if event.tty and protocol != "v2.channel.k8s.io" else 0)
        spdy = SpdyChannel(request, protocol)
        response = await spdy.upgrade()
        event.protocol = protocol
        if not await spdy.wait_for_streams(expected, STREAM_CREATION_TIMEOUT):
            spdy.abort()
            return response
        channel = spdy

    try:
        if sim.latency:
            await asyncio.sleep(sim.latency)  # the API server -> kubelet hop of the stream set-up
        if failure:  # translated: the upgrade is done, the kubelet part fails now
            await channel.send_status(translated_failure(failure))
            await channel.finish()
            return channel.response
        if kind == "attach":
            await AttachSession(sim, cluster, channel, event, pod, spec, opts, translated=translated).run()
        else:
            await ExecSession(sim, cluster, channel, event, pod, spec, opts, translated=translated).run()
    except (ConnectionResetError, RuntimeError, asyncio.CancelledError):
        channel.abort()
    return channel.response


def _upgraded(request: web.Request) -> None:
    from .api import RECORD_KEY

    record = request.get(RECORD_KEY)
    if record is not None:
        record.status = 101


def _go_list(items) -> str:
    return "[" + " ".join(items) + "]"


# --- transports ----------------------------------------------------------------------------------


class Channel:
    """One client connection, WebSocket or SPDY, as the session sees it."""

    response: web.StreamResponse
    closed: bool = False
    last_activity: float = 0.0

    async def send(self, channel: int, data: bytes) -> None: ...
    async def send_status(self, status: dict) -> None: ...
    async def finish(self) -> None: ...
    async def receive(self, session: "ExecSession") -> None: ...
    def abort(self) -> None: ...

    def touch(self) -> None:
        self.last_activity = time.monotonic()


class WsChannel(Channel):
    def __init__(self, ws: web.WebSocketResponse, request: web.Request, *, v5: bool):
        self.ws, self.request, self.v5 = ws, request, v5
        self.response = ws
        self._lock = asyncio.Lock()
        self.touch()

    async def send(self, channel: int, data: bytes) -> None:
        async with self._lock:
            await self.ws.send_bytes(bytes([channel]) + data)
        self.touch()

    async def send_status(self, status: dict) -> None:
        await self.send(STATUS, json.dumps(status).encode())

    async def finish(self) -> None:
        try:
            await self.ws.close()
        except (ConnectionResetError, RuntimeError):
            pass
        self.closed = True

    async def receive(self, session: "ExecSession") -> None:
        try:
            async for msg in self.ws:
                self.touch()
                if msg.type == WSMsgType.PING:
                    await self.ws.pong(msg.data)
                    continue
                if msg.type != WSMsgType.BINARY or not msg.data:
                    continue
                channel, payload = msg.data[0], msg.data[1:]
                if channel == STDIN:
                    await session.on_stdin(payload)
                elif channel == RESIZE:
                    session.on_resize(payload)
                elif channel == CLOSE and self.v5 and payload[:1] == bytes([STDIN]):
                    session.on_stdin_closed()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True

    def abort(self) -> None:
        self.closed = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class SpdyChannel(Channel):
    """The server end of a SPDY/3.1 remotecommand connection (apimachinery httpstream/spdy +
    moby/spdystream): the client opens the streams, we reply to each, then talk."""

    def __init__(self, request: web.Request, protocol: str):
        self.request, self.protocol = request, protocol
        self.transport = request.transport
        self.codec = Codec()
        self.streams: dict[int, int] = {}  # channel -> stream id
        self._streams_changed = asyncio.Event()
        self._incoming: asyncio.Queue = asyncio.Queue()
        self._resize_buffer = b""
        self._last_stream = 0
        self.response = web.StreamResponse(status=101, headers={
            "Connection": "Upgrade", "Upgrade": "SPDY/3.1", "X-Stream-Protocol-Version": protocol})
        self.touch()

    # aiohttp feeds the bytes of an upgraded connection to a "payload parser": this is ours.
    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.touch()
        try:
            frames = self.codec.feed(data)
        except ProtocolError:
            self.abort()
            return True, b""
        for frame in frames:
            self._on_frame(frame)
        return False, b""

    def feed_eof(self) -> None:
        self.closed = True
        self._incoming.put_nowait(("gone", None))

    def set_exception(self, exc: BaseException, exc_cause: BaseException | None = None) -> None:
        self.feed_eof()

    async def upgrade(self) -> web.StreamResponse:
        protocol = self.request.protocol
        # aiohttp only switches its parser off for WebSocket upgrades; do it for SPDY too.
        protocol._upgraded = True
        protocol._parser.set_upgraded(True)
        protocol.set_parser(self)
        await self.response.prepare(self.request)
        _upgraded(self.request)
        return self.response

    def _write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the SPDY connection is closed")
        self.transport.write(data)
        self.touch()

    def _on_frame(self, frame) -> None:
        if frame.kind == "data":
            channel = next((c for c, sid in self.streams.items() if sid == frame.stream_id), None)
            if channel == STDIN:
                if frame.data:
                    self._incoming.put_nowait(("stdin", frame.data))
                if frame.fin:
                    self._incoming.put_nowait(("stdin-closed", None))
            elif channel == RESIZE and frame.data:
                self._resize_buffer += frame.data
                self._drain_resizes()
            return
        if frame.type == SYN_STREAM:
            kind = (frame.headers.get("streamtype") or [""])[0]
            self._last_stream = max(self._last_stream, frame.stream_id)
            try:
                self._write(self.codec.syn_reply(frame.stream_id))
            except ConnectionResetError:
                return
            if kind in STREAM_TYPES:
                self.streams[STREAM_TYPES[kind]] = frame.stream_id
                self._streams_changed.set()
        elif frame.type == PING:
            try:
                self._write(self.codec.control(PING, frame.data))
            except ConnectionResetError:
                pass
        elif frame.type == RST_STREAM and self.streams.get(STDIN) == frame.stream_id:
            self._incoming.put_nowait(("stdin-closed", None))
        elif frame.type == GOAWAY:
            self.closed = True
            self._incoming.put_nowait(("gone", None))

    def _drain_resizes(self) -> None:
        decoder = json.JSONDecoder()
        text = self._resize_buffer.decode(errors="replace")
        pos = 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            try:
                size, end = decoder.raw_decode(text, pos)
            except ValueError:
                break
            self._incoming.put_nowait(("resize", json.dumps(size).encode()))
            pos = end
        self._resize_buffer = text[pos:].encode()

    async def wait_for_streams(self, expected: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.streams) < expected:
            self._streams_changed.clear()
            try:
                await asyncio.wait_for(self._streams_changed.wait(), max(deadline - time.monotonic(), 0))
            except asyncio.TimeoutError:
                return False
            if self.closed:
                return False
        return True

    async def send(self, channel: int, data: bytes) -> None:
        stream = self.streams.get(channel)
        if stream is None:
            return
        for start in range(0, len(data), 64 * 1024):
            self._write(self.codec.data(stream, data[start:start + 64 * 1024]))
            while self.transport.get_write_buffer_size() > 1 << 20 and not self.transport.is_closing():
                await asyncio.sleep(0.005)

    async def send_status(self, status: dict) -> None:
        stream = self.streams.get(STATUS)
        if stream is None:
            return
        if self.protocol == SPDY_PROTOCOLS[0]:
            body = json.dumps(status).encode()
        elif status.get("status") == "Success":
            body = b""  # v1-v3: nothing on success, the message otherwise
        else:
            body = status.get("message", "").encode()
        for channel in (STDOUT, STDERR):
            if channel in self.streams:
                self._write(self.codec.data(self.streams[channel], b"", fin=True))
        self._write(self.codec.data(stream, body, fin=True))

    async def finish(self) -> None:
        # The kubelet closes the connection (all streams reset, GOAWAY) after the status;
        # give the client a moment to read it and leave first.
        try:
            await asyncio.wait_for(self._until_gone(), 2.0)
        except asyncio.TimeoutError:
            pass
        try:
            self._write(self.codec.goaway(self._last_stream))
        except ConnectionResetError:
            pass
        if self.transport is not None:
            self.transport.close()
        self.closed = True

    async def _until_gone(self) -> None:
        while not self.closed:
            kind, _ = await self._incoming.get()
            if kind == "gone":
                return

    async def receive(self, session: "ExecSession") -> None:
        while not self.closed:
            kind, payload = await self._incoming.get()
            if kind == "gone":
                break
            if kind == "stdin":
                await session.on_stdin(payload)
            elif kind == "stdin-closed":
                session.on_stdin_closed()
            elif kind == "resize":
                session.on_resize(payload)
        self.closed = True
        self._incoming.put_nowait(("gone", None))  # for finish(), if it waits too

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
        self._incoming.put_nowait(("gone", None))


# --- the session ----------------------------------------------------------------------------------


class ExecSession:
    """One exec: a container process wired to a client connection, for as long as both last."""

    def __init__(self, sim: Simulation, cluster: "Cluster", channel: Channel, event: ExecEvent,
                 pod: dict, spec: dict, opts: dict[str, bool], *, translated: bool):
        self.sim, self.cluster, self.channel, self.event = sim, cluster, channel, event
        self.pod, self.spec, self.opts, self.translated = pod, spec, opts, translated
        self.process: containers.ContainerProcess | None = None
        self.detached = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self) -> None:
        """Kill the process group (thread-safe; called on pod deletion and server stop)."""
        if self.process is not None:
            self.process.kill()

    # --- client -> process --------------------------------------------------------------

    async def on_stdin(self, data: bytes) -> None:
        if self.process is not None:
            await self.process.write_stdin(data)

    def on_stdin_closed(self) -> None:
        if self.process is not None:
            self.process.close_stdin()

    def on_resize(self, payload: bytes) -> None:
        try:
            size = json.loads(payload)
            width, height = int(size["Width"]), int(size["Height"])
        except (ValueError, KeyError, TypeError):
            return
        if self.process is not None:
            self.process.resize(width, height)
        self.event.sizes.append((width, height))

    # --- the run -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            self.process = await containers.start(
                self.cluster, self.pod, self.spec, self.event.command, tty=self.event.tty,
                stdin=self.opts["stdin"], stdout=self.opts["stdout"], stderr=self.opts["stderr"])
        except containers.StartError as exc:
            await self.channel.send_status(start_error_status(exc, translated=self.translated))
            await self.channel.finish()
            return
        self.event.pid = self.process.pid
        with self.sim.lock:
            self.sim.execs.append(self.event)
            self.sim.sessions.add(self)
        hook = self.sim.take_exec_hook("started")
        if hook is not None:
            asyncio.get_running_loop().create_task(_quietly(run_hook(hook, self.event)))

        pumps = [asyncio.create_task(self._pump(stream, channel)) for stream, channel in self.process.outputs()]
        exited = asyncio.create_task(self.process.wait())
        receiver = asyncio.create_task(self.channel.receive(self))
        watchdog = asyncio.create_task(self._idle_watchdog()) if self.sim.exec_idle_timeout else None
        # containerd waits for the process *and* for its output to be drained
        # (process.IO().Wait()): a background child holding stdout keeps the exec open.
        output_done = asyncio.gather(*pumps)
        finished = asyncio.ensure_future(_both(exited, output_done))
        await asyncio.wait({receiver, finished}, return_when=asyncio.FIRST_COMPLETED)
        if watchdog is not None:
            watchdog.cancel()
        if not finished.done():
            # The client went away first: the process keeps running, unattended.
            self.detached = self.event.disconnected = True
            self.process.close_stdin()
            self.sim.linger(self._linger(exited, output_done))
            return
        self._finished(exited.result())
        self.process.dispose()
        try:
            await self.channel.send_status(exit_status(self.event.exit_code, self.event.command,
                                                       translated=self.translated))
            await self.channel.finish()
        except (ConnectionResetError, RuntimeError):
            pass
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)

    def _finished(self, code: int) -> None:
        self.event.exit_code = code
        self.event.done = True
        with self.sim.lock:
            self.sim.sessions.discard(self)

    async def _linger(self, exited: asyncio.Task, output: asyncio.Future) -> None:
        try:
            self._finished(await exited)
            await asyncio.gather(output, return_exceptions=True)  # a background child may hold it
        except asyncio.CancelledError:
            self.kill()
            raise
        self.process.dispose()

    async def _pump(self, stream, channel: int) -> None:
        while True:
            chunk = await stream.read()
            if not chunk:
                return
            if self.detached or self.channel.closed:
                continue  # nobody listens any more: the output goes nowhere
            try:
                await self.channel.send(channel, chunk)
            except (ConnectionResetError, RuntimeError):
                self.channel.closed = True

    async def _idle_watchdog(self) -> None:
        """A load balancer's idle timeout: no bytes either way for that long, and it cuts."""
        limit = self.sim.exec_idle_timeout
        while not self.channel.closed:
            idle = time.monotonic() - self.channel.last_activity
            if idle >= limit:
                self.event.idle_timeout = True
                self.channel.abort()
                return
            await asyncio.sleep(min(limit - idle, 0.25) + 0.01)


async def _both(exited: asyncio.Task, output: asyncio.Future) -> None:
    await exited
    await output


async def _quietly(coro) -> None:
    try:
        await coro
    except (ApiError, asyncio.CancelledError):
        pass


def process_alive(pid: int) -> bool:
    """Is pid a live (non-zombie) process?"""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[-1].split()[0]
        return state != b"Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def group_alive(pgid: int) -> bool:
    """Does process group pgid still have a live (non-zombie) member?"""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[-1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False



# --- attach: the container's own process ----------------------------------------------------------


class MainProcess:
    """A container's main process, for `kubectl attach` / `kubectl debug -it`. The simulator
    runs no container entrypoints, so it starts (spec.command + args, or sh) at the first
    attach: for an ephemeral container that is indistinguishable. Output goes to whoever is
    attached, or nowhere; when it exits, the container is terminated."""

    def __init__(self, sim: Simulation, cluster: "Cluster", pod: dict, spec: dict, event: ExecEvent,
                 process: containers.ContainerProcess):
        self.sim, self.cluster, self.spec, self.event, self.process = sim, cluster, spec, event, process
        self.namespace, self.pod_name, self.uid = pod["metadata"]["namespace"], pod["metadata"]["name"], \
            pod["metadata"]["uid"]
        self.attached: AttachSession | None = None
        self.pid = process.pid
        loop = asyncio.get_running_loop()
        self.pumps = [loop.create_task(self._pump(stream, channel)) for stream, channel in process.outputs()]
        self.exited = loop.create_task(self._wait())
        sim.lingering.add(self.exited)  # reaped before the server's loop ends
        self.exited.add_done_callback(sim.lingering.discard)

    def kill(self) -> None:
        self.process.kill()

    async def _pump(self, stream, channel: int) -> None:
        while True:
            chunk = await stream.read()
            if not chunk:
                return
            session = self.attached
            if session is not None and not session.channel.closed:
                try:
                    await session.channel.send(channel, chunk)
                except (ConnectionResetError, RuntimeError):
                    session.channel.closed = True

    async def _wait(self) -> int:
        code = await self.process.wait()
        await asyncio.gather(*self.pumps, return_exceptions=True)
        self.process.dispose()
        self.event.exit_code, self.event.done = code, True
        with self.sim.lock:
            self.sim.sessions.discard(self)
            self.sim.main_processes.pop((self.cluster.name, self.namespace, self.pod_name, self.spec["name"]), None)
        self._terminated(code)
        return code

    def _terminated(self, code: int) -> None:
        """The container's process ended: what the kubelet does next depends on the kind of
        container and the pod's restartPolicy (ephemeral containers are never restarted)."""
        from . import objects

        with self.cluster.lock:
            pod = self.cluster.raw("pods", self.namespace, self.pod_name)
            if pod is None or pod["metadata"]["uid"] != self.uid:
                return
            now = objects.timestamp()
            policy = pod["spec"].get("restartPolicy", "Always")
            for key in ("ephemeralContainerStatuses", "containerStatuses", "initContainerStatuses"):
                for cs in pod["status"].get(key) or []:
                    if cs["name"] != self.spec["name"] or "running" not in cs.get("state", {}):
                        continue
                    ended = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                            "startedAt": cs["state"]["running"].get("startedAt"),
                                            "finishedAt": now, "containerID": cs.get("containerID", "")}}
                    restart = key != "ephemeralContainerStatuses" and (
                        policy == "Always" or (policy == "OnFailure" and code != 0))
                    if restart:
                        cs["restartCount"] = int(cs.get("restartCount", 0)) + 1
                        cs["lastState"], cs["state"] = ended, {"running": {"startedAt": now}}
                    else:
                        cs["state"], cs["ready"], cs["started"] = ended, False, False
            statuses = pod["status"].get("containerStatuses") or []
            if statuses and all("terminated" in cs.get("state", {}) for cs in statuses):
                failed = any(cs["state"]["terminated"]["exitCode"] != 0 for cs in statuses)
                pod["status"]["phase"] = "Failed" if failed else "Succeeded"
                for c in pod["status"].get("conditions") or []:
                    if c["type"] in ("Ready", "ContainersReady"):
                        c.update(status="False", reason="PodCompleted", lastTransitionTime=now)
                        c.pop("message", None)
            self.cluster.put("pods", pod)


class AttachSession(ExecSession):
    async def run(self) -> None:
        main = await self._main_process()
        if main is None:
            return
        self.main = main
        self.process = main.process
        self.event.pid = main.pid
        with self.sim.lock:
            self.sim.execs.append(self.event)
        previous, main.attached = main.attached, self
        if previous is not None:
            previous.channel.abort()
        receiver = asyncio.create_task(self.channel.receive(self))
        await asyncio.wait({receiver, main.exited}, return_when=asyncio.FIRST_COMPLETED)
        if not main.exited.done():
            self.event.disconnected = True
            if main.attached is self:
                main.attached = None
            return
        code = main.exited.result()
        self.event.exit_code, self.event.done = code, True
        try:
            # kubelet ServeAttach: Success once the streams end; an attach reports no exit code.
            await self.channel.send_status({"metadata": {}, "status": "Success"})
            await self.channel.finish()
        except (ConnectionResetError, RuntimeError):
            pass
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)

    def on_stdin_closed(self) -> None:
        if self.spec.get("stdinOnce"):
            super().on_stdin_closed()

    async def _main_process(self) -> MainProcess | None:
        key = (self.cluster.name, self.event.namespace, self.event.pod, self.spec["name"])
        main = self.sim.main_processes.get(key)
        if main is not None:
            return main
        command = [*(self.spec.get("command") or []), *(self.spec.get("args") or [])] or ["sh"]
        tty, stdin = bool(self.spec.get("tty")), bool(self.spec.get("stdin"))
        event = ExecEvent(self.event.cluster, self.event.namespace, self.event.pod, self.spec["name"], command,
                          tty, kind="main")
        try:
            process = await containers.start(self.cluster, self.pod, self.spec, command, tty=tty, stdin=stdin,
                                             stdout=True, stderr=not tty)
        except containers.StartError as exc:
            await self.channel.send_status(start_error_status(exc, translated=self.translated))
            await self.channel.finish()
            return None
        event.pid = process.pid
        main = MainProcess(self.sim, self.cluster, self.pod, self.spec, event, process)
        with self.sim.lock:
            self.sim.main_processes[key] = main
            self.sim.sessions.add(main)
        return main
