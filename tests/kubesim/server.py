"""The running server: shared state (clusters, users, request log, hooks, exec sessions)
and an aiohttp app on its own event loop thread, so tests and the shell use it alike.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from . import auth
from .store import Cluster

HOST = "127.0.0.1"  # never listen beyond loopback
SECOND_CLUSTER = "two"  # served under /clusters/two


@dataclass
class RequestRecord:
    """One HTTP request as the simulator saw it (for tests that count kubectl's calls)."""

    cluster: str
    method: str
    path: str  # without the /clusters/NAME prefix
    query: str
    user_agent: str
    user: str | None = None
    verb: str = ""
    resource: str = ""  # "pods", "pods/exec", "deployments", "" for discovery
    status: int = 0
    time: float = field(default_factory=time.time)


@dataclass
class ExecEvent:
    """Passed to exec hooks; `pid` is set once the container process runs."""

    cluster: str
    namespace: str
    pod: str
    container: str
    command: list[str]
    tty: bool
    pid: int | None = None
    exit_code: int | None = None
    sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height) resizes applied
    kind: str = "exec"  # or "attach"
    transport: str = ""  # "websocket" or "spdy"
    protocol: str = ""  # the negotiated subprotocol, e.g. v5.channel.k8s.io
    disconnected: bool = False  # the client went away while the process ran (it kept running)
    idle_timeout: bool = False  # the connection was cut by the exec idle timeout
    done: bool = False  # the process has exited (exit_code is set)


@dataclass
class ExecHook:
    fn: Callable[[ExecEvent], Any]
    when: str  # "before": request arrived, pod not yet looked up; "started": process runs


class Simulation:
    """Everything the request handlers share."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.clusters = {name: Cluster(name, workdir / "pods") for name in ("sim", SECOND_CLUSTER)}
        self.users = auth.default_users()
        self.lock = threading.Lock()
        self.requests: list[RequestRecord] = []
        self.exec_hooks: list[ExecHook] = []
        self.execs: list[ExecEvent] = []  # every exec that started a process, in order
        self.sessions: set[Any] = set()  # live exec sessions (execstream.ExecSession)
        self.connections: set[Any] = set()  # live transports, cut when the server "dies"
        self.latency = 0.0  # seconds added to every request and to exec stream set-up
        self.exec_idle_timeout = 0.0  # seconds without a byte either way before an exec stream is cut
        self.lingering: set[asyncio.Task] = set()  # exec processes whose client went away
        self.main_processes: dict[tuple, Any] = {}  # containers' own processes, for attach
        self.loop: asyncio.AbstractEventLoop | None = None

    def linger(self, coro) -> None:
        """Keep a detached exec's process watched until it exits (or the server stops)."""
        task = asyncio.get_running_loop().create_task(coro)
        self.lingering.add(task)
        task.add_done_callback(self.lingering.discard)

    def user_for_token(self, token: str) -> auth.User | None:
        return next((u for u in self.users.values() if u.token == token), None)

    def record(self, request: web.Request, cluster: str, path: str) -> RequestRecord:
        rec = RequestRecord(cluster, request.method, path, request.query_string,
                            request.headers.get("User-Agent", ""))
        with self.lock:
            self.requests.append(rec)
        return rec

    def take_exec_hook(self, when: str) -> ExecHook | None:
        with self.lock:
            for hook in self.exec_hooks:
                if hook.when == when:
                    self.exec_hooks.remove(hook)
                    return hook
        return None


@web.middleware
async def track_connections(request: web.Request, handler):
    """Remember open transports so stop() can cut them like a crashed server would;
    add the simulated network latency to every request."""
    sim: Simulation = request.app[SIM_KEY]
    transport = request.transport
    if transport is not None:
        sim.connections.add(transport)
    try:
        if sim.latency:
            await asyncio.sleep(sim.latency)
        return await handler(request)
    finally:
        sim.connections.discard(transport)


SIM_KEY = web.AppKey("sim", Simulation)


def make_app(sim: Simulation) -> web.Application:
    from .api import handle

    app = web.Application(middlewares=[track_connections], client_max_size=64 * 1024 * 1024)
    app[SIM_KEY] = sim
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


class ServerThread:
    """Runs the app on 127.0.0.1:port in a background thread with its own event loop."""

    def __init__(self, sim: Simulation, port: int = 0, ssl_context=None):
        self.sim = sim
        self.ssl_context = ssl_context
        self.requested_port = port
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="kubesim", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self.stopped = False

    def start(self) -> None:
        self.thread.start()
        self._ready.wait(15)
        if self._error is not None:
            raise self._error
        if not self.port:
            raise RuntimeError("kubesim: the server did not start in time")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._listen())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        for cluster in self.sim.clusters.values():
            cluster.scheduler = self._schedule
        self._ready.set()
        self.loop.run_forever()
        self.loop.close()

    async def _listen(self) -> None:
        self._runner = web.AppRunner(make_app(self.sim), access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self.requested_port, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def _schedule(self, delay: float, fn: Callable[[], None]) -> None:
        self.loop.call_soon_threadsafe(self.loop.call_later, delay, fn)

    def stop(self) -> None:
        """Kill exec processes, cut every connection, stop listening; safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        for cluster in self.sim.clusters.values():
            cluster.scheduler = None
        if not self.thread.is_alive():
            return
        if threading.current_thread() is self.thread:
            # From inside the loop (a hook running on it): finish in the background.
            self.loop.create_task(self._shutdown())
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
        try:
            fut.result(10)
        finally:
            self.thread.join(10)

    async def _shutdown(self) -> None:
        with self.sim.lock:
            sessions = list(self.sim.sessions)
        for session in sessions:
            session.kill()
        if self.sim.lingering:  # the killed processes of gone clients: reap them before the loop ends
            await asyncio.wait(list(self.sim.lingering), timeout=5)
        for transport in list(self.sim.connections):
            transport.abort()
        if self._runner is not None:
            await self._runner.cleanup()
        with self.sim.lock:
            sessions = list(self.sim.sessions)
        for session in sessions:
            session.kill()
        if self.sim.lingering:
            await asyncio.wait(list(self.sim.lingering), timeout=5)
        self.loop.call_soon(self.loop.stop)

