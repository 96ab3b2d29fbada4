"""Rolling updates as a cluster does them, StatefulSets and DaemonSets; observed through
`kubectl get pods --watch`, the way a user sees the middle of a rollout."""

from __future__ import annotations

import queue
import subprocess
import threading
import time

import pytest

pytestmark = pytest.mark.kubectl

WATCH = ('{.type} {.object.metadata.name} {.object.metadata.uid} {.object.metadata.labels.%s} '
         '{.object.status.conditions[?(@.type=="Ready")].status} {.object.metadata.deletionTimestamp}{"\\n"}')


class PodWatch:
    """`kubectl get pods -w --output-watch-events`, one parsed event per line."""

    def __init__(self, sim, label: str, *args: str):
        self.proc = subprocess.Popen(["kubectl", "get", "pods", *args, "-w", "--output-watch-events",
                                      "-o", "jsonpath=" + WATCH % label], env=sim.env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.pods: dict[str, dict] = {}  # name -> state
        self.history: list[tuple[str, dict]] = []  # (event type, pod state) in order

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def until(self, predicate, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.pods):
            kind, name, uid, revision, *rest = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01)).split()
            state = {"name": name, "uid": uid, "revision": revision, "ready": rest[:1] == ["True"],
                     "terminating": len(rest) > 1}
            self.history.append((kind, state))
            if kind == "DELETED":
                self.pods.pop(name, None)
            else:
                self.pods[name] = state

    def close(self) -> None:
        self.proc.kill()
        self.proc.communicate()


def serving(pods: dict) -> list[dict]:
    return [p for p in pods.values() if p["ready"] and not p["terminating"]]


def test_rolling_update_keeps_old_and_new_pods_ready_side_by_side(kubesim):
    old = set(kubesim.add_deployment("default", "api", replicas=3))
    kubesim.set_delays(pod_start=0.1, termination=0.1)
    watch = PodWatch(kubesim, "pod-template-hash")
    try:
        watch.until(lambda pods: len(serving(pods)) == 3)
        old_revision = next(iter(watch.pods.values()))["revision"]
        assert kubesim.kubectl("rollout", "restart", "deploy/api").returncode == 0
        replayed = []
        watch.until(lambda pods: len(pods) == 3 and all(p["revision"] != old_revision and p["ready"]
                                                        for p in pods.values()))
        # Replay: never fewer than 3 serving pods (maxUnavailable 25% of 3 is 0), never more than
        # 4 pods not terminating (maxSurge 25% of 3 is 1), and old and new served together.
        state: dict[str, dict] = {}
        for kind, pod in watch.history:
            if kind == "DELETED":
                state.pop(pod["name"], None)
            else:
                state[pod["name"]] = pod
            replayed.append(dict(state))
        after_restart = replayed[3:]
        assert all(len(serving(s)) >= 3 for s in after_restart)
        assert all(sum(not p["terminating"] for p in s.values()) <= 4 for s in after_restart)
        assert any({p["revision"] for p in serving(s)} == {old_revision, next(
            p["revision"] for p in watch.pods.values())} for s in after_restart)
        assert not old & set(watch.pods)
    finally:
        watch.close()
    out = kubesim.kubectl("get", "rs", "-o", "jsonpath={range .items[*]}{.metadata.annotations.deployment\\.kubernetes"
                                              "\\.io/revision}={.spec.replicas} {end}")
    assert sorted(out.stdout.split()) == ["1=0", "2=3"]


def test_recreate_strategy_stops_old_pods_first(kubesim, tmp_path):
    (tmp_path / "d.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: db-migrator}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector: {matchLabels: {app: db-migrator}}
  template:
    metadata: {labels: {app: db-migrator}}
    spec: {containers: [{name: app, image: migrator:1}]}
""")
    assert kubesim.kubectl("apply", "-f", str(tmp_path / "d.yaml")).returncode == 0
    kubesim.set_delays(pod_start=0.1, termination=0.1)
    watch = PodWatch(kubesim, "pod-template-hash")
    try:
        watch.until(lambda pods: len(serving(pods)) == 2)
        old_revision = next(iter(watch.pods.values()))["revision"]
        assert kubesim.kubectl("set", "image", "deploy/db-migrator", "app=migrator:2").returncode == 0
        watch.until(lambda pods: len(serving(pods)) == 2 and all(p["revision"] != old_revision for p in pods.values()))
        first_new = next(i for i, (kind, p) in enumerate(watch.history) if p["revision"] != old_revision)
        deleted_old = [i for i, (kind, p) in enumerate(watch.history) if kind == "DELETED"]
        assert len(deleted_old) == 2 and max(deleted_old) < first_new
    finally:
        watch.close()


STATEFULSET = """\
apiVersion: v1
kind: Service
metadata: {name: ledger}
spec: {clusterIP: None, selector: {app: ledger}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger}
spec:
  serviceName: ledger
  replicas: 3
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec: {containers: [{name: db, image: ledger:1, volumeMounts: [{name: data, mountPath: /var/lib/ledger}]}]}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
"""


def test_statefulset_ordinal_pods_and_rollout_restart(kubesim, tmp_path):
    kubesim.set_delays(pod_start=0.05, termination=0.05)
    (tmp_path / "sts.yaml").write_text(STATEFULSET)
    watch = PodWatch(kubesim, "controller-revision-hash")
    try:
        assert kubesim.kubectl("apply", "-f", str(tmp_path / "sts.yaml")).returncode == 0
        out = kubesim.kubectl("rollout", "status", "sts/ledger", "--timeout=20s")
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == "partitioned roll out complete: 3 new pods have been updated..."
        watch.until(lambda pods: len(serving(pods)) == 3)
        # OrderedReady: ledger-N appears only once ledger-(N-1) is Ready.
        added = [p["name"] for kind, p in watch.history if kind == "ADDED"]
        assert added == ["ledger-0", "ledger-1", "ledger-2"]
        for n in (1, 2):
            created = next(i for i, (k, p) in enumerate(watch.history) if k == "ADDED" and p["name"] == f"ledger-{n}")
            assert any(p["name"] == f"ledger-{n - 1}" and p["ready"] for _, p in watch.history[:created])
        uids = {name: p["uid"] for name, p in watch.pods.items()}
        revision = watch.pods["ledger-0"]["revision"]
        watch.history.clear()
        assert kubesim.kubectl("rollout", "restart", "sts/ledger").returncode == 0
        out = kubesim.kubectl("rollout", "status", "sts/ledger", "--timeout=20s")
        assert out.returncode == 0, out.stderr
        watch.until(lambda pods: len(serving(pods)) == 3 and all(p["revision"] != revision for p in pods.values()))
        # The same names, new pods, replaced from the highest ordinal down, one at a time.
        assert set(watch.pods) == set(uids) and all(watch.pods[n]["uid"] != uids[n] for n in uids)
        assert [p["name"] for kind, p in watch.history if kind == "DELETED"] == ["ledger-2", "ledger-1", "ledger-0"]
    finally:
        watch.close()
    out = kubesim.kubectl("get", "pod", "ledger-1", "-o", "jsonpath={.spec.hostname}.{.spec.subdomain} "
                                                           "{.metadata.labels.apps\\.kubernetes\\.io/pod-index}")
    assert out.stdout == "ledger-1.ledger 1"
    out = kubesim.kubectl("get", "pvc", "--no-headers")  # one claim per ordinal, kept across the restart
    assert [line.split()[:2] + line.split()[3:5] for line in out.stdout.splitlines()] == [
        [f"data-ledger-{n}", "Bound", "2Gi", "RWO"] for n in range(3)]
    out = kubesim.kubectl("get", "pod", "ledger-2", "-o", "jsonpath={.spec.volumes[0].persistentVolumeClaim.claimName}")
    assert out.stdout == "data-ledger-2"
    out = kubesim.kubectl("rollout", "history", "sts/ledger")
    assert [line.split()[0] for line in out.stdout.splitlines()[2:] if line.strip()] == ["1", "2"]
    out = kubesim.kubectl("get", "controllerrevisions", "--no-headers")
    assert sorted(line.split()[1:3] for line in out.stdout.splitlines()) == [
        ["statefulset.apps/ledger", "1"], ["statefulset.apps/ledger", "2"]]
    kubesim.set_delays(termination=0)
    assert kubesim.kubectl("scale", "sts/ledger", "--replicas=1").returncode == 0
    assert kubesim.workload_pods("statefulsets", "default", "ledger") == ["ledger-0"]


def test_daemonset_one_pod_per_node(kubesim):
    first = kubesim.add_daemonset("kube-system", "node-agent")
    assert len(first) == 1
    kubesim.add_node("kubesim-node-b")
    pods = kubesim.workload_pods("daemonsets", "kube-system", "node-agent")
    out = kubesim.kubectl("get", "pods", "-n", "kube-system", "-o", "jsonpath={range .items[*]}{.spec.nodeName} {end}")
    assert sorted(out.stdout.split()) == ["kubesim-node", "kubesim-node-b"] and len(pods) == 2
    out = kubesim.kubectl("get", "ds", "-n", "kube-system", "--no-headers")
    assert out.stdout.split()[:6] == ["node-agent", "2", "2", "2", "2", "2"]
    assert kubesim.kubectl("rollout", "restart", "ds/node-agent", "-n", "kube-system").returncode == 0
    out = kubesim.kubectl("rollout", "status", "ds/node-agent", "-n", "kube-system", "--timeout=20s")
    assert out.stdout.splitlines()[-1] == 'daemon set "node-agent" successfully rolled out'
    new = kubesim.workload_pods("daemonsets", "kube-system", "node-agent")
    assert len(new) == 2 and not set(new) & set(pods)
    out = kubesim.kubectl("exec", "-n", "kube-system", new[0], "--", "echo", "agent")
    assert out.stdout == "agent\n"
