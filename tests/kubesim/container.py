"""The simulated container: a local process standing in for `exec` inside a pod.

It runs in the pod's directory (WORKDIR/pods/CLUSTER/NAMESPACE/POD, the container's
"/"; a workingDir of /app means POD_DIR/app), with an environment built like the
kubelet builds it: PATH, HOSTNAME=pod name, the KUBERNETES_SERVICE_* variables and the
container's `env` / `envFrom` (values, fieldRef, configMapKeyRef, secretKeyRef,
$(VAR) references), nothing inherited from the test process.

Each process leads its own session/process group (pgid == pid, so a second exec can
`kill -INT -PGID` it: the pod's processes share one process namespace, the host's),
and asks the kernel to SIGKILL it if the server thread that started it goes away
(PDEATHSIG). It is killed with its pod and when the server stops; a client that goes
away leaves it running, as a real container runtime does.
TTY mode runs it on a pseudo-terminal whose size follows the client's resizes.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import errno
import fcntl
import os
import pty
import re
import signal
import struct
import termios
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import kubelet

if TYPE_CHECKING:
    from .store import Cluster

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl


class StartError(Exception):
    """The process could not start; `status` is the Status sent on the error channel."""

    def __init__(self, message: str):
        super().__init__(message)
        self.status = {"metadata": {}, "status": "Failure", "reason": "InternalError", "code": 500,
                       "message": f"Internal error occurred: error executing command in container: {message}"}


def _child_setup() -> None:
    os.setsid()
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    # A container's process starts with every signal at its default action (runc
    # resets them), whatever the runtime itself inherited: a simulator started
    # from a background job (SIGINT/SIGQUIT ignored) must not pass that on.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE,
                signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD, signal.SIGWINCH):
        signal.signal(sig, signal.SIG_DFL)


def _tty_child_setup() -> None:
    _child_setup()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


# --- environment -----------------------------------------------------------------------


def _field_ref(pod: dict, path: str) -> str:
    meta = pod["metadata"]
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    return {
        "metadata.name": meta["name"], "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": pod["spec"].get("nodeName", ""),
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName", ""),
        "status.podIP": pod["status"].get("podIP", ""), "status.hostIP": pod["status"].get("hostIP", ""),
    }.get(path, "")


def _key_ref(cluster: "Cluster", namespace: str, plural: str, ref: dict) -> str | None:
    obj = cluster.get(plural, namespace, ref.get("name", ""))
    if obj is None:
        return None
    if plural == "secrets":
        raw = (obj.get("data") or {}).get(ref["key"])
        if raw is not None:
            return base64.b64decode(raw).decode(errors="replace")
        return (obj.get("stringData") or {}).get(ref["key"])
    return (obj.get("data") or {}).get(ref["key"])


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes $(VAR) references to earlier variables; $$ escapes a dollar."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), value)


def container_env(cluster: "Cluster", pod: dict, spec: dict, *, tty: bool, home: Path) -> dict[str, str]:
    namespace = pod["metadata"].get("namespace", "default")
    env = {
        "PATH": PATH,
        "HOSTNAME": pod["metadata"]["name"],
        "HOME": str(home),
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
        "KUBERNETES_PORT": "tcp://10.96.0.1:443",
    }
    if tty:
        env["TERM"] = "xterm"
    for source in spec.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for key, plural in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
            if key in source:
                obj = cluster.get(plural, namespace, source[key].get("name", "")) or {}
                for k, v in (obj.get("data") or {}).items():
                    env[prefix + k] = base64.b64decode(v).decode(errors="replace") if plural == "secrets" else v
    for item in spec.get("env") or []:
        name = item.get("name")
        if not name:
            continue
        if "value" in item:
            env[name] = _expand(str(item["value"]), env)
            continue
        source: dict[str, Any] = item.get("valueFrom") or {}
        value = None
        if "fieldRef" in source:
            value = _field_ref(pod, source["fieldRef"].get("fieldPath", ""))
        elif "configMapKeyRef" in source:
            value = _key_ref(cluster, namespace, "configmaps", source["configMapKeyRef"])
        elif "secretKeyRef" in source:
            value = _key_ref(cluster, namespace, "secrets", source["secretKeyRef"])
        env[name] = value if value is not None else ""
    return env


# --- processes -----------------------------------------------------------------------


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class ContainerProcess:
    """Common part: the process, its group, and how it ends."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.pid = process.pid

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    async def wait(self) -> int:
        return _exit_code(await self.process.wait())

    def resize(self, width: int, height: int) -> None:
        pass

    def dispose(self) -> None:
        pass


class _StreamReader:
    def __init__(self, stream: asyncio.StreamReader):
        self.stream = stream

    async def read(self) -> bytes:
        return await self.stream.read(65536)


class PipeProcess(ContainerProcess):
    def outputs(self) -> list[tuple[Any, int]]:
        out = []
        if self.process.stdout is not None:
            out.append((_StreamReader(self.process.stdout), 1))
        if self.process.stderr is not None:
            out.append((_StreamReader(self.process.stderr), 2))
        return out

    async def write_stdin(self, data: bytes) -> None:
        stdin = self.process.stdin
        if stdin is None or stdin.is_closing():
            return
        try:
            stdin.write(data)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close_stdin(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()


class _PtyReader:
    """Reads the pty master on the event loop; EIO means every slave end is closed."""

    def __init__(self, fd: int):
        self.fd = fd
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.done = False
        self.loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.stop()
        else:
            self.queue.put_nowait(data)

    def stop(self) -> None:
        if not self.done:
            self.done = True
            self.loop.remove_reader(self.fd)
            self.queue.put_nowait(b"")

    async def read(self) -> bytes:
        return await self.queue.get()


class PtyProcess(ContainerProcess):
    def __init__(self, process: asyncio.subprocess.Process, master: int):
        super().__init__(process)
        self.master = master
        self.reader = _PtyReader(master)

    def outputs(self) -> list[tuple[Any, int]]:
        return [(self.reader, 1)]  # a terminal merges stdout and stderr

    async def write_stdin(self, data: bytes) -> None:
        while data:
            try:
                written = os.write(self.master, data)
                data = data[written:]
            except BlockingIOError:
                await asyncio.sleep(0.01)
            except OSError:
                return

    def close_stdin(self) -> None:
        try:
            os.write(self.master, b"\x04")  # end-of-file for a terminal in canonical mode
        except OSError:
            pass

    def resize(self, width: int, height: int) -> None:
        # The kernel sends SIGWINCH to the terminal's foreground process group.
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    def dispose(self) -> None:
        self.reader.stop()
        try:
            os.close(self.master)
        except OSError:
            pass


async def start(cluster: "Cluster", pod: dict, spec: dict, command: list[str], *, tty: bool,
                stdin: bool, stdout: bool, stderr: bool) -> ContainerProcess:
    """Start the command "in" the container; StartError carries the runtime's words."""
    container = spec["name"]
    missing = kubelet.missing_command(pod, container, command)
    if missing:
        raise StartError(missing)
    windows = pod if kubelet.is_windows(pod) else None
    root = cluster.pod_dir(pod["metadata"].get("namespace", "default"), pod["metadata"]["name"])
    cwd = root / str(spec.get("workingDir") or "").lstrip("/")
    cwd.mkdir(parents=True, exist_ok=True)
    env = container_env(cluster, pod, spec, tty=tty, home=root)
    env["PWD"] = str(cwd)
    try:
        if tty:
            master, slave = pty.openpty()
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            os.set_blocking(master, False)
            try:
                process = await asyncio.create_subprocess_exec(
                    *command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                    preexec_fn=_tty_child_setup)
            except BaseException:
                os.close(master)
                raise
            finally:
                os.close(slave)
            return PtyProcess(process, master)
        pipe, devnull = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
        process = await asyncio.create_subprocess_exec(
            *command, stdin=pipe if stdin else devnull, stdout=pipe if stdout else devnull,
            stderr=pipe if stderr else devnull, cwd=cwd, env=env, preexec_fn=_child_setup)
        return PipeProcess(process)
    except FileNotFoundError:
        if windows is not None:
            raise StartError(kubelet.hcs_not_found(windows, container))
        raise StartError(kubelet.runc_not_found(command[0]))
    except PermissionError:
        raise StartError(f'failed to exec in container: failed to start exec "{kubelet.new_exec_id()}": OCI runtime '
                         f'exec failed: exec failed: unable to start container process: exec: "{command[0]}": '
                         'permission denied: unknown')
    except OSError as exc:
        if exc.errno == errno.ENOEXEC:
            raise StartError(f'failed to exec in container: failed to start exec "{kubelet.new_exec_id()}": OCI '
                             'runtime exec failed: exec failed: unable to start container process: exec format '
                             'error: unknown')
        raise
