"""The Python API tests use: start a simulator, shape cluster state, inject faults.

    sim = KubeSim.start(tmp_path)          # or the `kubesim` pytest fixture
    pods = sim.add_deployment("default", "api", replicas=2)
    subprocess.run(["kubectl", "get", "pods"], env=sim.env())
    sim.stop()

Methods that shape state act on the default cluster (context `sim`); the second
cluster (context `sim-2`) has the same methods on `sim.second`.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from . import actions, auth, controller, manifests, objects, tls
from .clientenv import CredentialPlugin, InCluster
from .kubeconfig import write_kubeconfig
from .resources import BY_PLURAL
from .server import SECOND_CLUSTER, ExecEvent, ExecHook, RequestRecord, ServerThread, Simulation
from .store import Cluster

BUILTIN_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
KUBERNETES_SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
    "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1",
             "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
}


class ClusterHandle:
    """State-shaping API for one simulated cluster. Safe to call from any thread."""

    def __init__(self, cluster: Cluster):
        self._cluster = cluster

    # --- namespaces, deployments, pods ------------------------------------------

    def add_namespace(self, name: str, *, labels: Mapping[str, str] | None = None) -> str:
        with self._cluster.lock:
            if self._cluster.raw("namespaces", None, name) is None:
                self._cluster.put("namespaces", objects.namespace(name, labels=labels))
        return name

    def add_deployment(self, namespace: str, name: str, *, replicas: int = 1,
                       labels: Mapping[str, str] | None = None,
                       containers: Iterable[Mapping[str, Any]] | None = None,
                       annotations: Mapping[str, str] | None = None,
                       selector: Mapping[str, Any] | None = None,
                       deployment_annotations: Mapping[str, str] | None = None,
                       ready: bool = True) -> list[str]:
        """A Deployment with its ReplicaSet and `replicas` pods; returns the pod names (sorted).

        labels: pod template labels (default {"app": name}); annotations: pod template
        annotations (e.g. kubectl.kubernetes.io/default-container); selector: a
        LabelSelector, or a plain {key: value} mapping meaning matchLabels.
        """
        if selector is not None and not ({"matchLabels", "matchExpressions"} & set(selector)):
            selector = {"matchLabels": dict(selector)}
        template_annotations = dict(annotations or {})
        if not ready:
            template_annotations[manifests.READY_ANNOTATION] = "false"
        dep = objects.deployment(namespace, name, replicas=replicas, template_labels=labels,
                                 containers=containers, template_annotations=template_annotations,
                                 selector=selector, annotations=deployment_annotations)
        with self._cluster.lock:
            self.add_namespace(namespace)
            created = actions.create(self._cluster, BY_PLURAL["deployments"], namespace, dep)
            return self._pods_of(created)

    def _pods_of(self, obj: dict) -> list[str]:
        ns = obj["metadata"]["namespace"]
        owners = controller.owned_replicasets(self._cluster, obj) if obj["kind"] == "Deployment" else [obj]
        return sorted(p["metadata"]["name"] for o in owners for p in self._cluster.pods_owned_by(o["metadata"]["uid"], ns))

    def deployment_pods(self, namespace: str, name: str) -> list[str]:
        return self.workload_pods("deployments", namespace, name)

    def workload_pods(self, resource: str, namespace: str, name: str) -> list[str]:
        """Pod names (sorted) of a deployment, statefulset, daemonset or replicaset."""
        with self._cluster.lock:
            obj = self._cluster.raw(resource, namespace, name)
            if obj is None:
                raise KeyError(f"no {resource} {namespace}/{name}")
            return self._pods_of(obj)

    def add_statefulset(self, namespace: str, name: str, *, replicas: int = 1,
                        labels: Mapping[str, str] | None = None,
                        containers: Iterable[Mapping[str, Any]] | None = None,
                        annotations: Mapping[str, str] | None = None, service_name: str | None = None,
                        spec: Mapping[str, Any] | None = None) -> list[str]:
        """A StatefulSet: pods NAME-0..N-1 (created one after the other); returns their names."""
        extra = {"serviceName": service_name or name, **dict(spec or {})}
        return self._add_workload("StatefulSet", namespace, name, replicas, labels, containers, annotations, extra)

    def add_daemonset(self, namespace: str, name: str, *, labels: Mapping[str, str] | None = None,
                      containers: Iterable[Mapping[str, Any]] | None = None,
                      annotations: Mapping[str, str] | None = None,
                      spec: Mapping[str, Any] | None = None) -> list[str]:
        """A DaemonSet: one pod per fitting node; returns the pod names."""
        return self._add_workload("DaemonSet", namespace, name, None, labels, containers, annotations, spec)

    def _add_workload(self, kind, namespace, name, replicas, labels, containers, annotations, spec) -> list[str]:
        obj = objects.workload(kind, namespace, name, replicas=replicas, template_labels=labels,
                               containers=containers, template_annotations=annotations, spec=spec)
        with self._cluster.lock:
            self.add_namespace(namespace)
            created = actions.create(self._cluster, BY_PLURAL[kind.lower() + "s"], namespace, obj)
            return self._pods_of(created)

    def add_node(self, name: str, *, os: str = "linux", kubelet: str = "ok",
                 labels: Mapping[str, str] | None = None, ip: str | None = None,
                 taints: Iterable[Mapping[str, str]] | None = None) -> str:
        """Another node. kubelet: "ok", "unreachable" (i/o timeout) or "refused"."""
        from . import kubelet as kubelets

        node = kubelets.node_for(name, windows=os == "windows", kubelet=kubelet, labels=dict(labels or {}), ip=ip)
        if taints:
            node["spec"]["taints"] = [dict(t) for t in taints]
        with self._cluster.lock:
            if self._cluster.raw("nodes", None, name) is not None:
                raise ValueError(f"node {name} already exists")
            self._cluster.put("nodes", node)
            controller.nodes_changed(self._cluster)
        return name

    def add_pod(self, namespace: str, name: str, *, labels: Mapping[str, str] | None = None,
                containers: Iterable[Mapping[str, Any]] | None = None, ready: bool = True,
                annotations: Mapping[str, str] | None = None,
                created: dt.datetime | str | None = None, age: float | None = None,
                phase: str = "Running", owner: str | None = None,
                spec: Mapping[str, Any] | None = None) -> str:
        """A bare pod. created: a datetime / ISO string, or age: seconds ago; spec: more pod
        spec fields (initContainers, nodeSelector, os, ...).

        owner: the name of a ReplicaSet in the namespace to list in ownerReferences
        (it does not count the pod as one of its replicas).
        """
        if age is not None:
            created = objects.utcnow() - dt.timedelta(seconds=age)
        with self._cluster.lock:
            self.add_namespace(namespace)
            if self._cluster.raw("pods", namespace, name) is not None:
                raise ValueError(f"pod {namespace}/{name} already exists")
            pod = objects.pod(namespace, name, labels=labels, annotations=annotations,
                              spec={"containers": list(containers) if containers else [{"name": name}],
                                    **dict(spec or {})},
                              created=objects.as_timestamp(created))
            if owner is not None:
                rs = self._cluster.raw("replicasets", namespace, owner)
                if rs is None:
                    raise KeyError(f"no replicaset {namespace}/{owner}")
                pod["metadata"]["ownerReferences"] = [objects.owner_reference(rs)]
            controller.place_pod(self._cluster, pod, phase=phase, ready=ready)
        return name

    def set_ready(self, namespace: str, pod: str, ready: bool = True) -> None:
        with self._cluster.lock:
            obj = self._raw_pod(namespace, pod)
            objects.set_pod_status(obj, phase=obj["status"]["phase"], ready=ready)
            self._cluster.put("pods", obj)
            controller.refresh_owner_status(self._cluster, obj)

    def set_phase(self, namespace: str, pod: str, phase: str) -> None:
        """Pending, Running, Succeeded or Failed (readiness follows: only Running pods are Ready)."""
        with self._cluster.lock:
            obj = self._raw_pod(namespace, pod)
            objects.set_pod_status(obj, phase=phase if obj["spec"].get("nodeName") else "Pending",
                                   ready=phase == "Running")
            self._cluster.put("pods", obj)
            controller.refresh_owner_status(self._cluster, obj)

    def set_restarts(self, namespace: str, pod: str, count: int, container: str | None = None) -> None:
        with self._cluster.lock:
            obj = self._raw_pod(namespace, pod)
            for cs in obj["status"]["containerStatuses"]:
                if container is None or cs["name"] == container:
                    cs["restartCount"] = count
            self._cluster.put("pods", obj)

    def set_terminating(self, namespace: str, pod: str) -> None:
        """Give the pod a deletionTimestamp; it stays (Terminating) until delete_pod()."""
        with self._cluster.lock:
            self._raw_pod(namespace, pod)
            controller.mark_terminating(self._cluster, namespace, pod)

    def delete_pod(self, namespace: str, pod: str, *, replace: bool = False) -> None:
        """Remove a pod now (its exec processes are killed). replace=True lets its
        ReplicaSet create a replacement, as `kubectl delete pod` does."""
        with self._cluster.lock:
            self._raw_pod(namespace, pod)
            saved = self._cluster.termination_delay
            self._cluster.termination_delay = 0
            try:
                controller.terminate_pod(self._cluster, namespace, pod, replace=replace)
            finally:
                self._cluster.termination_delay = saved

    def _raw_pod(self, namespace: str, pod: str) -> dict:
        obj = self._cluster.raw("pods", namespace, pod)
        if obj is None:
            raise KeyError(f"no pod {namespace}/{pod}")
        return obj

    def pods(self, namespace: str | None = "default") -> list[str]:
        """Pod names in a namespace (None: all namespaces), sorted by name."""
        return self._cluster.names("pods", namespace)

    def pod(self, namespace: str, name: str) -> dict | None:
        """The pod's JSON as the API serves it (a copy), or None."""
        return self._cluster.get("pods", namespace, name)

    def get(self, resource: str, namespace: str | None, name: str) -> dict | None:
        """Any object by plural resource name ("deployments", "replicasets", ...)."""
        return self._cluster.get(resource, namespace, name)

    def scale(self, namespace: str, deployment: str, replicas: int) -> list[str]:
        with self._cluster.lock:
            dep = self._cluster.get("deployments", namespace, deployment)
            if dep is None:
                raise KeyError(f"no deployment {namespace}/{deployment}")
            dep["spec"]["replicas"] = replicas
            actions.replace(self._cluster, BY_PLURAL["deployments"], namespace, deployment, dep)
            return self.deployment_pods(namespace, deployment)

    # --- manifests ------------------------------------------------------------------

    def apply(self, manifest: Mapping[str, Any]) -> dict:
        """Create one object from a manifest dict (its namespace is created if missing)."""
        doc = copy.deepcopy(dict(manifest))
        resource = actions.resource_for_kind(doc.get("kind", ""))
        namespace = None
        if resource.namespaced:
            namespace = doc.setdefault("metadata", {}).get("namespace") or "default"
            self.add_namespace(namespace)
        elif resource.plural == "namespaces" and self._cluster.raw(
                "namespaces", None, doc["metadata"]["name"]) is not None:
            return self._cluster.get("namespaces", None, doc["metadata"]["name"])
        return actions.create(self._cluster, resource, namespace, doc)

    def load_manifests(self, path: str | os.PathLike) -> list[dict]:
        """Apply every document in a YAML/JSON file or a directory of them."""
        return [self.apply(doc) for doc in manifests.ordered(manifests.read_documents(Path(path)))]

    # --- logs and container filesystems ---------------------------------------------

    def append_log(self, namespace: str, pod: str, text: str, container: str | None = None) -> None:
        """Add lines to a container's log (every container when container is None)."""
        obj = self.pod(namespace, pod)
        if obj is None:
            raise KeyError(f"no pod {namespace}/{pod}")
        for c in obj["spec"]["containers"]:
            if container is None or c["name"] == container:
                self._cluster.append_log(namespace, pod, c["name"], text)

    def pod_dir(self, namespace: str, pod: str) -> Path:
        """Where the pod's containers run: their "/" (workingDir /app is pod_dir/app)."""
        return self._cluster.pod_dir(namespace, pod)

    def set_delays(self, *, pod_start: float | None = None, termination: float | None = None) -> None:
        """Seconds new pods stay Pending / deleted pods stay Terminating (default 0)."""
        if pod_start is not None:
            self._cluster.pod_start_delay = pod_start
        if termination is not None:
            self._cluster.termination_delay = termination

    def describe(self) -> dict[str, list[str]]:
        """{resource: ["ns/name", ...]}: a quick look at the whole state."""
        return self._cluster.describe()


class KubeSim(ClusterHandle):
    """A running simulator: the default cluster's API plus server-wide controls."""

    def __init__(self, workdir: Path, server: ServerThread, simulation: Simulation, ca_pem: bytes):
        super().__init__(simulation.clusters["sim"])
        self.workdir = workdir
        self._server = server
        self._sim = simulation
        self.second = ClusterHandle(simulation.clusters[SECOND_CLUSTER])
        self.url = f"https://127.0.0.1:{server.port}"
        self.port = server.port
        self.ca_pem = ca_pem  # the server's self-signed certificate (PEM)
        self.credential_plugin = CredentialPlugin(workdir / "credential-plugin.conf")
        self.kubeconfig = write_kubeconfig(workdir / "kubeconfig", self.url, simulation.users, ca_pem,
                                           plugin_config=self.credential_plugin.config_path)
        self.cache_dir = workdir / "kube-cache"

    @classmethod
    def start(cls, workdir: str | os.PathLike | None = None, *, port: int = 0,
              manifests_path: str | os.PathLike | None = None) -> "KubeSim":
        base = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="kubesim-"))
        base.mkdir(parents=True, exist_ok=True)
        simulation = Simulation(base)
        for cluster in simulation.clusters.values():
            for ns in BUILTIN_NAMESPACES:
                cluster.put("namespaces", objects.namespace(ns))
            cluster.put("services", objects.generic(KUBERNETES_SERVICE, "default"))
            cluster.put("nodes", objects.node())
        from .execstream import install_pod_removal_hooks

        install_pod_removal_hooks(simulation)
        cert, key = tls.shared_certificate()
        server = ServerThread(simulation, port, tls.server_context(cert, key))
        server.start()
        sim = cls(base, server, simulation, cert.read_bytes())
        if manifests_path is not None:
            sim.load_manifests(manifests_path)
        return sim

    def url_for(self, context: str = "sim") -> str:
        return f"{self.url}/clusters/{SECOND_CLUSTER}" if context == "sim-2" else self.url

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ without EMB_*/K8S_*/KUBECONFIG leftovers, pointed at this simulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EMB_", "K8S_", "KUBE"))}
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["KUBECACHEDIR"] = str(self.cache_dir)  # discovery cache per simulator, not ~/.kube
        env.update(extra)
        return env

    def kubectl(self, *args: str, context: str | None = None, input: str | None = None,
                timeout: float = 30, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run the real kubectl against this simulator; text output captured."""
        argv = ["kubectl", *(["--context", context] if context else []), *args]
        return subprocess.run(argv, env=dict(env) if env is not None else self.env(), input=input,
                              capture_output=True, text=True, timeout=timeout)

    # --- request log ------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._sim.lock:
            return list(self._sim.requests)

    def clear_requests(self) -> None:
        with self._sim.lock:
            self._sim.requests.clear()

    def api_calls(self, *, verb: str | None = None, resource: str | None = None,
                  cluster: str | None = None) -> list[RequestRecord]:
        """Requests that touched a resource (discovery and /version left out)."""
        return [r for r in self.requests if r.resource
                and (verb is None or r.verb == verb)
                and (resource is None or r.resource == resource)
                and (cluster is None or r.cluster == cluster)]

    # --- exec -------------------------------------------------------------------------

    @property
    def execs(self) -> list[ExecEvent]:
        """Every exec that started a container process, oldest first."""
        with self._sim.lock:
            return list(self._sim.execs)

    def on_next_exec(self, fn: Callable[[ExecEvent], Any], *, when: str = "before") -> None:
        """Run fn once, for the next exec request.

        when="before": as the request arrives, before the pod is looked up (delete the
        pod here to simulate it vanishing between lookup and exec).
        when="started": right after the container process started (stop the server
        here to simulate it dying mid-exec). fn runs in a worker thread and may call
        any method of this object, including stop().
        """
        if when not in ("before", "started"):
            raise ValueError("when must be 'before' or 'started'")
        with self._sim.lock:
            self._sim.exec_hooks.append(ExecHook(fn, when))

    def running_exec_pids(self) -> list[int]:
        """Processes of execs (and attached containers) still running, detached ones included."""
        with self._sim.lock:
            sessions = list(self._sim.sessions)
        return sorted(s.pid for s in sessions if s.pid is not None)

    # --- network ------------------------------------------------------------------------

    def set_latency(self, ms: float) -> None:
        """Milliseconds added to every request and to the set-up of every exec stream."""
        self._sim.latency = max(ms, 0) / 1000

    def set_exec_idle_timeout(self, seconds: float | None) -> None:
        """Cut exec/attach connections after this long without a byte either way (a load
        balancer's idle timeout; kubectl's 5 s heartbeat pings count as traffic). None: off."""
        self._sim.exec_idle_timeout = float(seconds or 0)

    # --- where kubectl runs ---------------------------------------------------------------

    def in_cluster(self, directory: str | os.PathLike, *, namespace: str = "default",
                   service_account: str = "default", rules: list[dict] | None = None) -> InCluster:
        """The environment of a process in a pod of namespace `namespace`: kubectl's in-cluster
        config (service-account token, CA, namespace), no kubeconfig. The service account may
        do anything in its namespace unless rules say otherwise. See clientenv.InCluster."""
        name = f"system:serviceaccount:{namespace}:{service_account}"
        token = f"kubesim-sa-{namespace}-{service_account}"
        self.add_user(name, token, rules if rules is not None else [{"verbs": ["*"], "resources": ["*"],
                                                                       "namespaces": [namespace]}])
        return InCluster(Path(directory), host="127.0.0.1", port=self.port, ca_pem=self.ca_pem, token=token,
                         namespace=namespace, base_env=os.environ)

    # --- users ------------------------------------------------------------------------

    def add_user(self, name: str, token: str, rules: list[dict]) -> None:
        """Another user: rules like [{"verbs": ["get"], "resources": ["pods"]}]."""
        self._sim.users[name] = auth.User(name, token, auth.rules_from(rules))

    @property
    def tokens(self) -> dict[str, str]:
        return {name: u.token for name, u in self._sim.users.items()}

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def stopped(self) -> bool:
        return self._server.stopped

    def stop(self) -> None:
        """Stop like a crashing server: exec processes killed, connections cut."""
        self._server.stop()

    def __enter__(self) -> "KubeSim":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
