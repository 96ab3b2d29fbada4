"""Pods that are not simply Running: distroless, crash-looping, unscheduled, on an unreachable
or Windows node, with init containers, sidecars and ephemeral containers. Switched on from
manifests (pod template annotations, spec fields), checked with the real kubectl."""

from __future__ import annotations

import re

import pexpect
import pytest

pytestmark = pytest.mark.kubectl

SPDY_ONLY = {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}
EXEC_ID = r'failed to start exec "[0-9a-f]{64}"'

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: distroless, namespace: shop}
spec:
  selector: {matchLabels: {app: distroless}}
  template:
    metadata:
      labels: {app: distroless}
      annotations: {kubesim.emb.dev/no-shell: "true"}
    spec:
      containers: [{name: app, image: gcr.io/distroless/static:nonroot}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: crashy, namespace: shop}
spec:
  selector: {matchLabels: {app: crashy}}
  template:
    metadata:
      labels: {app: crashy}
      annotations:
        kubesim.emb.dev/crash-loop: worker
        kubesim.emb.dev/last-state: worker=OOMKilled
        kubesim.emb.dev/restarts: worker=7
        kubesim.emb.dev/log: "allocating 4Gi"
    spec:
      containers: [{name: web}, {name: worker}]
---
apiVersion: v1
kind: Pod
metadata:
  name: pending
  namespace: shop
  annotations: {kubesim.emb.dev/unscheduled: "true"}
spec:
  containers: [{name: api}]
---
apiVersion: v1
kind: Pod
metadata:
  name: far
  namespace: shop
  annotations: {kubesim.emb.dev/kubelet: unreachable}
spec:
  containers: [{name: api}]
---
apiVersion: v1
kind: Pod
metadata: {name: iis, namespace: shop}
spec:
  os: {name: windows}
  nodeSelector: {kubernetes.io/os: windows}
  containers: [{name: web, image: mcr.microsoft.com/windows/servercore/iis}]
---
apiVersion: v1
kind: Pod
metadata: {name: meshed, namespace: shop}
spec:
  initContainers:
    - {name: migrate}
    - {name: proxy, restartPolicy: Always}
  containers: [{name: app}]
"""


@pytest.fixture
def sim(kubesim, tmp_path):
    path = tmp_path / "manifests.yaml"
    path.write_text(MANIFESTS)
    kubesim.load_manifests(path)
    return kubesim


def run(sim, *args, spdy=False, **kwargs):
    return sim.kubectl("-n", "shop", *args, env=sim.env(**SPDY_ONLY) if spdy else None, **kwargs)


def rows(sim) -> dict[str, list[str]]:
    out = run(sim, "get", "pods", "-o", "wide", "--no-headers")
    return {line.split()[0]: line.split() for line in out.stdout.splitlines()}


def test_get_pods_shows_each_state(sim):
    table = rows(sim)
    crashy = next(name for name in table if name.startswith("crashy-"))
    distroless = next(name for name in table if name.startswith("distroless-"))
    # NAME READY STATUS RESTARTS (AGE ago) AGE IP NODE ...
    assert table[crashy][1:4] == ["1/2", "CrashLoopBackOff", "7"]
    assert re.fullmatch(r"\(\d+s", table[crashy][4]) and table[crashy][5] == "ago)"
    assert table[distroless][1:4] == ["1/1", "Running", "0"]
    assert table["pending"][1:3] == ["0/1", "Pending"] and table["pending"][5:7] == ["<none>", "<none>"]
    assert table["far"][1:3] == ["1/1", "Running"] and table["far"][6] == "kubesim-node-2"
    assert table["iis"][1:3] == ["1/1", "Running"] and table["iis"][6] == "kubesim-win-node"
    assert table["meshed"][1:3] == ["2/2", "Running"]  # the sidecar counts, the finished init does not
    out = sim.kubectl("get", "nodes", "-L", "kubernetes.io/os", "--no-headers")
    assert {line.split()[0]: line.split()[-1] for line in out.stdout.splitlines()} == {
        "kubesim-node": "linux", "kubesim-node-2": "linux", "kubesim-win-node": "windows"}


def test_distroless_has_no_shell(sim):
    [pod] = sim.deployment_pods("shop", "distroless")
    runc = (r'failed to exec in container: ' + EXEC_ID + r': OCI runtime exec failed: exec failed: unable to '
            r'start container process: exec: "sh": executable file not found in \$PATH: unknown')
    out = run(sim, "exec", pod, "--", "sh", "-c", "echo hi")
    # v5 WebSocket: the API server's stream translator wraps the kubelet's InternalError again.
    assert re.fullmatch(r"error: Internal error occurred: Internal error occurred: error executing command in "
                        r"container: " + runc, out.stderr.strip()), out.stderr
    assert out.returncode == 1
    out = run(sim, "exec", pod, "--", "sh", "-c", "echo hi", spdy=True)
    assert re.fullmatch(r"error: Internal error occurred: error executing command in container: " + runc,
                        out.stderr.strip()), out.stderr
    out = run(sim, "exec", pod, "--", "/bin/bash")
    assert 'exec: "/bin/bash": stat /bin/bash: no such file or directory: unknown' in out.stderr
    assert sim.execs == []


def test_crash_looping_container_is_not_found_but_its_sibling_runs(sim):
    [pod] = sim.deployment_pods("shop", "crashy")
    out = run(sim, "exec", pod, "-c", "worker", "--", "true")
    assert (out.returncode, out.stderr.strip()) == (
        1, 'error: Internal error occurred: unable to upgrade connection: container not found ("worker")')
    out = run(sim, "exec", pod, "-c", "worker", "--", "true", spdy=True)
    assert out.stderr.strip() == 'error: unable to upgrade connection: container not found ("worker")'
    out = run(sim, "exec", pod, "-c", "web", "--", "echo", "alive")
    assert (out.returncode, out.stdout) == (0, "alive\n")
    status = {cs["name"]: cs for cs in sim.pod("shop", pod)["status"]["containerStatuses"]}
    worker = status["worker"]
    assert worker["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert worker["state"]["waiting"]["message"].startswith("back-off 5m0s restarting failed container=worker pod=")
    assert (worker["lastState"]["terminated"]["reason"], worker["lastState"]["terminated"]["exitCode"]) == (
        "OOMKilled", 137)
    assert (worker["ready"], worker["restartCount"], status["web"]["ready"]) == (False, 7, True)
    # The last run's log is there, current and --previous.
    assert run(sim, "logs", pod, "-c", "worker").stdout == "allocating 4Gi\n"
    assert run(sim, "logs", pod, "-c", "worker", "--previous").stdout == "allocating 4Gi\n"
    out = run(sim, "logs", pod, "-c", "web", "--previous")
    assert out.stderr.strip() == (
        f'Error from server (BadRequest): previous terminated container "web" in pod "{pod}" not found')


def test_unscheduled_pod_has_no_host(sim):
    for spdy in (False, True):
        out = run(sim, "exec", "pending", "--", "true", spdy=spdy)
        assert out.stderr.strip() == "Error from server (BadRequest): pod pending does not have a host assigned"
    [condition] = sim.pod("shop", "pending")["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == ("PodScheduled", "False", "Unschedulable")
    assert condition["message"].startswith("0/1 nodes are available: 1 Insufficient memory.")
    assert run(sim, "logs", "pending").stdout == ""
    assert sim.execs == []


def test_unreachable_kubelet_fails_exec_and_logs_but_not_get(sim):
    assert run(sim, "get", "pod", "far", "-o", "name").stdout == "pod/far\n"
    out = run(sim, "exec", "far", "--", "sh", "-c", "echo hi")
    assert out.stderr.strip() == (
        'error: Internal error occurred: error sending request: Post "https://10.0.0.11:10250/exec/shop/far/api?'
        'command=sh&command=-c&command=echo+hi&error=1&output=1": dial tcp 10.0.0.11:10250: i/o timeout')
    out = run(sim, "exec", "far", "--", "true", spdy=True)
    assert out.stderr.strip() == "Error from server: error dialing backend: dial tcp 10.0.0.11:10250: i/o timeout"
    out = run(sim, "logs", "far", "--tail", "5")
    assert out.stderr.strip() == ('Error from server: Get "https://10.0.0.11:10250/containerLogs/shop/far/api?'
                                  'tailLines=5": dial tcp 10.0.0.11:10250: i/o timeout')
    assert sim.execs == []


def test_windows_pod_has_no_posix_shell(sim):
    out = run(sim, "exec", "iis", "--", "sh", "-c", "echo hi")
    assert re.fullmatch(r"error: Internal error occurred: Internal error occurred: error executing command in "
                        r"container: failed to exec in container: " + EXEC_ID + r": hcs::System::CreateProcess "
                        r"[0-9a-f]{64}: The system cannot find the file specified\.: unknown", out.stderr.strip())
    out = run(sim, "exec", "iis", "--", "cmd.exe", "/c", "ver")  # no cmd.exe on the simulated node either
    assert "hcs::System::CreateProcess" in out.stderr
    assert run(sim, "get", "pod", "iis", "-o", "jsonpath={.spec.os.name}").stdout == "windows"


def test_init_containers_sidecars_and_ephemeral_containers(sim):
    out = run(sim, "exec", "meshed", "-c", "proxy", "--", "echo", "sidecar")
    assert (out.returncode, out.stdout) == (0, "sidecar\n")
    out = run(sim, "exec", "meshed", "-c", "migrate", "--", "true")
    assert out.stderr.strip() == 'error: Internal error occurred: unable to upgrade connection: container not found ("migrate")'
    out = run(sim, "exec", "meshed", "--", "echo", "app")
    assert out.stdout == "app\n"
    assert 'Defaulted container "app" out of: app, migrate (init), proxy (init)' in out.stderr
    migrate, proxy = (cs["state"] for cs in sim.pod("shop", "meshed")["status"]["initContainerStatuses"])
    assert migrate["terminated"]["reason"] == "Completed" and "running" in proxy
    # kubectl debug adds an ephemeral container (PATCH pods/meshed/ephemeralcontainers)
    out = run(sim, "debug", "meshed", "--image=busybox", "-c", "dbg", "--profile=general", "--", "sleep", "3600")
    assert out.returncode == 0, out.stderr
    assert run(sim, "exec", "meshed", "-c", "dbg", "--", "echo", "debugging").stdout == "debugging\n"
    assert "running" in sim.pod("shop", "meshed")["status"]["ephemeralContainerStatuses"][0]["state"]
    assert [c for c in sim.api_calls(verb="patch") if c.resource == "pods/ephemeralcontainers"]


def test_kubectl_debug_interactive_attaches_to_the_ephemeral_container(sim):
    child = pexpect.spawn("kubectl", ["-n", "shop", "debug", "-it", "meshed", "--image=busybox", "--target=app",
                                      "--profile=general", "--", "sh"], env=sim.env(), timeout=15, encoding="utf-8")
    try:
        child.expect("If you don't see a command prompt, try pressing enter.")
        child.sendline("echo inside-$HOSTNAME")
        child.expect("inside-meshed")
        child.sendline("exit 3")
        child.expect("Session ended, the ephemeral container will not be restarted")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    [attach] = sim.execs
    assert (attach.kind, attach.tty, attach.exit_code) == ("attach", True, 3)
    assert sim.pod("shop", "meshed")["status"]["ephemeralContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    out = run(sim, "exec", "meshed", "-c", attach.container, "--", "true")
    assert f'container not found ("{attach.container}")' in out.stderr
