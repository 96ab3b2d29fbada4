"""What the scheduler and the kubelet decide about a pod: its node, its status, and
whether a container can be exec'd into.

Behaviours are switched on per pod (or per pod template) with simulator-only
annotations; values that name containers are "true" (every container) or a comma
list of container names, values that differ per container are "VALUE" or
"name=VALUE,name=VALUE":

    kubesim.emb.dev/ready: "false"          containers never become Ready
    kubesim.emb.dev/no-shell: "true"|names  no sh/bash/...: a distroless image
    kubesim.emb.dev/crash-loop: "true"|names  CrashLoopBackOff (waiting, lastState terminated)
    kubesim.emb.dev/last-state: REASON[:CODE]  lastState.terminated (OOMKilled = 137, Error = 1)
    kubesim.emb.dev/restarts: N             restartCount (crash-loop / last-state default: 5 / 1)
    kubesim.emb.dev/unscheduled: "true"|MESSAGE  Pending, no node (PodScheduled=False)
    kubesim.emb.dev/kubelet: unreachable|refused  runs on a node whose kubelet the API server
                                            cannot dial (exec, logs fail; get works)
    kubesim.emb.dev/os: windows             runs on a Windows node (also spec.os.name: windows
                                            or nodeSelector kubernetes.io/os: windows)
    kubesim.emb.dev/start-delay: SECONDS    this pod stays Pending (ContainerCreating) that long

Real wording, from the sources named at each message.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import Any, Iterable

from . import objects

PREFIX = "kubesim.emb.dev/"
READY = PREFIX + "ready"
NO_SHELL = PREFIX + "no-shell"
CRASH_LOOP = PREFIX + "crash-loop"
LAST_STATE = PREFIX + "last-state"
RESTARTS = PREFIX + "restarts"
UNSCHEDULED = PREFIX + "unscheduled"
KUBELET = PREFIX + "kubelet"
OS = PREFIX + "os"
START_DELAY = PREFIX + "start-delay"

KUBELET_PORT = 10250
DEFAULT_NODE = objects.NODE_NAME
# Nodes made on demand for pods that ask for them (kubectl get nodes lists them then).
WINDOWS_NODE = "kubesim-win-node"
UNREACHABLE_NODE = "kubesim-node-2"  # a firewall drops the API server's packets: i/o timeout
REFUSED_NODE = "kubesim-node-3"  # nothing listens on the kubelet port: connection refused
NODE_IPS = {DEFAULT_NODE: "10.0.0.10", UNREACHABLE_NODE: "10.0.0.11", REFUSED_NODE: "10.0.0.12",
            WINDOWS_NODE: "10.0.0.20"}

# Exit codes the kubelet reports with these reasons (OOMKilled is SIGKILL: 128 + 9).
REASON_CODES = {"OOMKilled": 137, "Error": 1, "Completed": 0, "ContainerCannotRun": 128, "StartError": 128}
# The shells a distroless image lacks (their absolute paths too).
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})


# --- reading the annotations ------------------------------------------------------------


def annotations(pod: dict) -> dict[str, str]:
    return pod.get("metadata", {}).get("annotations") or {}


def names_flag(value: str | None, container: str) -> bool:
    """"true" means every container; otherwise a comma list of container names."""
    if not value or value.strip().lower() in ("false", "0", "no"):
        return False
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    return container in {v.strip() for v in value.split(",")}


def per_container(value: str | None, container: str) -> str | None:
    """"VALUE" for every container, or "name=VALUE,name=VALUE"."""
    if not value:
        return None
    if "=" not in value:
        return value.strip()
    for item in value.split(","):
        name, _, v = item.partition("=")
        if name.strip() == container:
            return v.strip()
    return None


def start_delay(pod: dict, default: float) -> float:
    raw = annotations(pod).get(START_DELAY)
    try:
        return float(raw) if raw is not None else default
    except ValueError:
        return default


def is_windows(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    return ((spec.get("os") or {}).get("name") == "windows"
            or (spec.get("nodeSelector") or {}).get("kubernetes.io/os") == "windows"
            or annotations(pod).get(OS, "").lower() == "windows")


def no_shell(pod: dict, container: str) -> bool:
    return names_flag(annotations(pod).get(NO_SHELL), container)


# --- containers ---------------------------------------------------------------------------


def all_containers(pod: dict) -> list[tuple[str, dict]]:
    """(kind, spec) in the API server's visiting order: init, regular, ephemeral."""
    spec = pod.get("spec") or {}
    return ([("init", c) for c in spec.get("initContainers") or []]
            + [("container", c) for c in spec.get("containers") or []]
            + [("ephemeral", c) for c in spec.get("ephemeralContainers") or []])


def find_container(pod: dict, name: str) -> dict | None:
    return next((c for _, c in all_containers(pod) if c.get("name") == name), None)


def container_status(pod: dict, name: str) -> dict | None:
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(key) or []:
            if cs.get("name") == name:
                return cs
    return None


def container_running(pod: dict, name: str) -> bool:
    cs = container_status(pod, name)
    return bool(cs and "running" in (cs.get("state") or {}))


def is_sidecar(container: dict) -> bool:
    """A native sidecar: an init container with restartPolicy Always (KEP-753)."""
    return container.get("restartPolicy") == "Always"


def container_not_found(name: str) -> str:
    # kubelet, pkg/kubelet/kubelet_pods.go GetExec: the container is looked up among the
    # *running* containers (GetPods(ctx, false)); a waiting, crashed or finished one is
    # not there. streaming.WriteError sends it as a plain-text 500.
    return f'container not found ("{name}")'


# --- nodes and scheduling -------------------------------------------------------------------


def node_for(name: str, *, windows: bool = False, kubelet: str | None = None,
             labels: dict | None = None, ip: str | None = None) -> dict:
    node = objects.node(name)
    address = ip or NODE_IPS.get(name) or f"10.0.1.{int(hashlib.sha256(name.encode()).hexdigest(), 16) % 250 + 2}"
    node["status"]["addresses"] = [{"type": "InternalIP", "address": address},
                                   {"type": "Hostname", "address": name}]
    node["metadata"]["labels"].pop("node-role.kubernetes.io/control-plane", None)
    if windows:
        node["metadata"]["labels"].update({"kubernetes.io/os": "windows",
                                           "node.kubernetes.io/windows-build": "10.0.20348"})
        info = node["status"]["nodeInfo"]
        info.update({"operatingSystem": "windows", "osImage": "Windows Server 2022 Datacenter",
                     "kernelVersion": "10.0.20348.2762", "containerRuntimeVersion": "containerd://1.7.20"})
    if labels:
        node["metadata"]["labels"].update(labels)
    if kubelet and kubelet != "ok":
        node["metadata"].setdefault("annotations", {})[KUBELET] = kubelet
    return node


def ensure_node(cluster, name: str, **kwargs) -> dict:
    node = cluster.raw("nodes", None, name)
    if node is None:
        from .controller import nodes_changed

        node = cluster.put("nodes", node_for(name, **kwargs))
        nodes_changed(cluster)  # DaemonSets follow nodes
    return node


def node_ip(cluster, name: str) -> str:
    node = cluster.raw("nodes", None, name)
    for a in (node or {}).get("status", {}).get("addresses", []):
        if a.get("type") == "InternalIP":
            return a["address"]
    return NODE_IPS.get(name, "10.0.0.10")


def _tolerated(taint: dict, tolerations: Iterable[dict]) -> bool:
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def node_fits(node: dict, pod: dict) -> bool:
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    os_name = (spec.get("os") or {}).get("name")
    if os_name and labels.get("kubernetes.io/os") != os_name:
        return False
    tolerations = spec.get("tolerations") or []
    return all(t.get("effect") not in ("NoSchedule", "NoExecute") or _tolerated(t, tolerations)
               for t in (node.get("spec") or {}).get("taints") or [])


def schedule(cluster, pod: dict) -> None:
    """Give the pod a node (spec.nodeName), or leave it unscheduled with the reason."""
    spec = pod["spec"]
    if spec.get("nodeName"):
        return
    ann = annotations(pod)
    unscheduled = ann.get(UNSCHEDULED)
    if unscheduled and unscheduled.strip().lower() not in ("false", "0", "no"):
        _unschedulable(pod, None if unscheduled.strip().lower() in ("true", "1", "yes") else unscheduled)
        return
    kubelet = ann.get(KUBELET, "").lower()
    if is_windows(pod):
        spec["nodeName"] = ensure_node(cluster, WINDOWS_NODE, windows=True)["metadata"]["name"]
        return
    if kubelet in ("unreachable", "refused"):
        name = UNREACHABLE_NODE if kubelet == "unreachable" else REFUSED_NODE
        spec["nodeName"] = ensure_node(cluster, name, kubelet=kubelet)["metadata"]["name"]
        return
    nodes = cluster.raw_list("nodes")
    fitting = [n for n in nodes if node_fits(n, pod)]
    if not fitting:
        count = len(nodes)
        _unschedulable(pod, f"0/{count} nodes are available: {count} node(s) didn't match Pod's node "
                            f"affinity/selector. preemption: 0/{count} nodes are available: {count} "
                            "Preemption is not helpful for scheduling.")
        return
    default = next((n for n in fitting if n["metadata"]["name"] == DEFAULT_NODE), fitting[0])
    spec["nodeName"] = default["metadata"]["name"]


def _unschedulable(pod: dict, message: str | None) -> None:
    # The scheduler's FitError text (pkg/scheduler/framework/types.go); the simulated
    # cluster has one node, short of memory.
    message = message or ("0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are "
                          "available: 1 No preemption victims found for incoming pod.")
    pod["status"] = {"phase": "Pending", "conditions": [{
        "type": "PodScheduled", "status": "False", "lastProbeTime": None,
        "lastTransitionTime": objects.timestamp(), "reason": "Unschedulable", "message": message}],
        "qosClass": "BestEffort"}


def kubelet_dial_error(cluster, pod: dict) -> str | None:
    """The dial error the API server gets from this pod's kubelet, if it cannot reach it."""
    name = (pod.get("spec") or {}).get("nodeName")
    node = cluster.raw("nodes", None, name) if name else None
    state = ((node or {}).get("metadata", {}).get("annotations") or {}).get(KUBELET, "")
    if state not in ("unreachable", "refused"):
        return None
    address = f"{node_ip(cluster, name)}:{KUBELET_PORT}"
    # Go's net.Dialer errors: "dial tcp HOST:PORT: i/o timeout" / "...: connect: connection refused".
    return f"dial tcp {address}: i/o timeout" if state == "unreachable" else \
        f"dial tcp {address}: connect: connection refused"


def kubelet_url(cluster, pod: dict, path: str, query: str = "") -> str:
    """The URL the API server dials on the kubelet (quoted the way Go's url.Error does)."""
    url = f"https://{node_ip(cluster, pod['spec']['nodeName'])}:{KUBELET_PORT}{path}"
    return url + (f"?{query}" if query else "")


# --- status ------------------------------------------------------------------------------------


def new_exec_id() -> str:
    return secrets.token_hex(32)


def _container_id(pod: dict, name: str, generation: int = 0) -> str:
    seed = f"{pod['metadata']['uid']}/{name}/{generation}"
    return f"containerd://{hashlib.sha256(seed.encode()).hexdigest()}"


def _last_state(ann: dict[str, str], name: str) -> tuple[str, int] | None:
    raw = per_container(ann.get(LAST_STATE), name)
    if not raw:
        return None
    reason, _, code = raw.partition(":")
    try:
        return reason, int(code) if code else REASON_CODES.get(reason, 1)
    except ValueError:
        return reason, REASON_CODES.get(reason, 1)


def _restarts(ann: dict[str, str], name: str, default: int) -> int:
    raw = per_container(ann.get(RESTARTS), name)
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def compute_status(pod: dict, *, phase: str, ready: bool) -> dict:
    """The pod status the kubelet would report for a phase and readiness."""
    meta, spec = pod["metadata"], pod["spec"]
    ann = annotations(pod)
    old = pod.get("status") or {}
    if not spec.get("nodeName"):
        kept = next((c for c in old.get("conditions", []) if c.get("type") == "PodScheduled"), None)
        if kept is None:
            _unschedulable(pod, None)
            return pod["status"]
        return {"phase": "Pending", "conditions": [kept], "qosClass": old.get("qosClass", "BestEffort")}
    started = meta["creationTimestamp"]
    now = objects.timestamp()
    running = phase == "Running"
    if ann.get(READY) == "false":
        ready = False
    previous = {cs["name"]: cs for key in ("initContainerStatuses", "containerStatuses",
                                           "ephemeralContainerStatuses")
                for cs in old.get(key) or []}

    def base(c: dict) -> dict:
        prev = previous.get(c["name"], {})
        image = c.get("image") or f"kubesim.local/{c['name']}:latest"
        return {"name": c["name"], "image": image,
                "imageID": f"{image}@sha256:{hashlib.sha256(image.encode()).hexdigest()}",
                "containerID": prev.get("containerID") or _container_id(pod, c["name"]),
                "restartCount": prev.get("restartCount", 0)}

    def terminated(code: int, reason: str, cid: str, finished: str = now) -> dict:
        return {"terminated": {"exitCode": code, "reason": reason, "startedAt": started,
                               "finishedAt": finished, "containerID": cid}}

    unready: list[str] = []

    def regular(c: dict, *, sidecar: bool = False) -> dict:
        s = base(c)
        crash = names_flag(ann.get(CRASH_LOOP), c["name"])
        last = _last_state(ann, c["name"])
        if crash and last is None:
            last = ("Error", 1)
        if (crash or last) and "restartCount" not in previous.get(c["name"], {}):
            s["restartCount"] = _restarts(ann, c["name"], 5 if crash else 1)
        elif RESTARTS in ann:
            s["restartCount"] = _restarts(ann, c["name"], s["restartCount"])
        if last is not None and phase in ("Running", "Pending"):
            s["lastState"] = terminated(last[1], last[0], _container_id(pod, c["name"], -1))
        else:
            s["lastState"] = {}
        if phase == "Pending":
            s.pop("containerID")
            s["state"] = {"waiting": {"reason": "PodInitializing" if spec.get("initContainers") and not sidecar
                                      else "ContainerCreating"}}
            s.update(ready=False, started=False)
        elif running and crash:
            # kubelet, pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff:
            # "back-off %s restarting failed container=%s pod=%s" (pod = name_namespace(uid)).
            s["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": (
                f"back-off 5m0s restarting failed container={c['name']} "
                f"pod={meta['name']}_{meta.get('namespace', 'default')}({meta['uid']})")}}
            s.update(ready=False, started=False)
        elif running:
            s["state"] = {"running": {"startedAt": started}}
            s.update(ready=ready, started=True)
        else:
            code = 0 if phase == "Succeeded" else 1
            s["state"] = terminated(code, "Completed" if code == 0 else "Error", s["containerID"])
            s.update(ready=False, started=False)
        if not s["ready"]:
            unready.append(c["name"])
        return s

    init_statuses = []
    init_crashed = False
    for c in spec.get("initContainers") or []:
        if is_sidecar(c):
            init_statuses.append(regular(c, sidecar=True))
            continue
        s = base(c)
        # crash-loop naming a (non-sidecar) init container: the pod never gets past it
        # (kubelet: Init:CrashLoopBackOff; the app containers wait in PodInitializing).
        if (not init_crashed and (ann.get(CRASH_LOOP) or "").strip().lower() not in ("true", "1", "yes")
                and names_flag(ann.get(CRASH_LOOP), c["name"])):
            init_crashed = True
            s.update(ready=False, started=False, restartCount=_restarts(ann, c["name"], 5))
            s["lastState"] = terminated(1, "Error", s["containerID"])
            s["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": (
                f"back-off 5m0s restarting failed container={c['name']} "
                f"pod={meta['name']}_{meta['namespace']}({meta.get('uid', '')})")}}
            init_statuses.append(s)
            continue
        s["lastState"] = {}
        if phase == "Pending":
            s.pop("containerID")
            s["state"] = {"waiting": {"reason": "PodInitializing"}}
        else:  # an init container ran to completion before the app containers started
            s["state"] = terminated(0, "Completed", s["containerID"])
        s.update(ready=False, started=False)
        init_statuses.append(s)
    statuses = [regular(c) for c in spec.get("containers") or []]
    if init_crashed:
        for s in statuses:
            s.pop("containerID", None)
            s.update(ready=False, started=False, state={"waiting": {"reason": "PodInitializing"}})
            unready.append(s["name"])
        phase = "Pending"
        running = False
    ephemeral = []
    for c in spec.get("ephemeralContainers") or []:
        s = base(c)
        s["lastState"] = {}
        if "terminated" in (previous.get(c["name"], {}).get("state") or {}):
            s["state"] = previous[c["name"]]["state"]  # an ephemeral container is never restarted
            s.update(ready=False, started=False)
        elif running:
            s["state"] = {"running": {"startedAt": previous.get(c["name"], {}).get(
                "state", {}).get("running", {}).get("startedAt", now)}}
        else:
            s.pop("containerID")
            s["state"] = {"waiting": {"reason": "ContainerCreating"}}
        s.update(ready=False, started=running)  # ephemeral containers never count as ready
        ephemeral.append(s)

    all_ready = running and not unready
    initialized = phase != "Pending" or not spec.get("initContainers")

    def cond(kind: str, ok: bool, reason: str = "", message: str = "") -> dict:
        c: dict[str, Any] = {"type": kind, "status": "True" if ok else "False",
                             "lastProbeTime": None, "lastTransitionTime": started}
        if not ok and reason:
            c.update(reason=reason, message=message)
        return c

    unready_msg = f"containers with unready status: [{' '.join(unready)}]"
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [
            cond("PodReadyToStartContainers", phase != "Pending"),
            cond("Initialized", initialized, "ContainersNotInitialized",
                 "containers with incomplete status: [" + " ".join(
                     c["name"] for c in spec.get("initContainers") or []) + "]"),
            cond("Ready", all_ready, "ContainersNotReady", unready_msg),
            cond("ContainersReady", all_ready, "ContainersNotReady", unready_msg),
            cond("PodScheduled", True),
        ],
        "hostIP": old.get("hostIP") or "10.0.0.10",
        "startTime": started,
        "qosClass": "BestEffort",
    }
    status["hostIPs"] = [{"ip": status["hostIP"]}]
    if phase != "Pending":  # the pod IP comes with the sandbox, once the containers are created
        status["podIP"] = _pod_ip(meta["name"])
        status["podIPs"] = [{"ip": status["podIP"]}]
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = statuses
    if ephemeral:
        status["ephemeralContainerStatuses"] = ephemeral
    return status


def _pod_ip(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return f"10.244.{digest[0]}.{digest[1] % 250 + 2}"


# --- exec start errors (the container runtime's words) --------------------------------------------


def runc_not_found(command: str) -> str:
    # runc (libcontainer/standard_init_linux.go) looks the command up with Go's
    # exec.LookPath: "exec: %q: executable file not found in $PATH" for a bare name,
    # "exec: %q: stat PATH: no such file or directory" for a path; containerd's CRI
    # wraps it (internal/cri/server/container_execsync.go): failed to start exec "ID".
    if "/" in command:
        why = f'exec: "{command}": stat {command}: no such file or directory'
    else:
        why = f'exec: "{command}": executable file not found in $PATH'
    return (f'failed to exec in container: failed to start exec "{new_exec_id()}": OCI runtime exec failed: '
            f"exec failed: unable to start container process: {why}: unknown")


def hcs_not_found(pod: dict, container: str) -> str:
    # hcsshim (internal/hcs/errors.go SystemError: "OP ID: ERR") on a Windows node,
    # through containerd: failed to start exec "ID": hcs::System::CreateProcess ...
    cid = (container_status(pod, container) or {}).get("containerID", "").split("//")[-1] \
        or hashlib.sha256(container.encode()).hexdigest()
    return (f'failed to exec in container: failed to start exec "{new_exec_id()}": hcs::System::CreateProcess '
            f"{cid}: The system cannot find the file specified.: unknown")


def missing_command(pod: dict, container: str, command: list[str]) -> str | None:
    """The runtime's error if this command cannot exist in the container, else None."""
    name = os.path.basename(command[0])
    if is_windows(pod) and name in SHELLS:
        return hcs_not_found(pod, container)
    if no_shell(pod, container) and name in SHELLS:
        return runc_not_found(command[0])
    return None
