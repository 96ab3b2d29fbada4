"""Deployments changing: rollout restart/status/history, scale, delete pod, set image."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.kubectl


def test_rollout_restart_replaces_the_pods(kubesim):
    old = kubesim.add_deployment("default", "api", replicas=2)
    out = kubesim.kubectl("rollout", "restart", "deployment/api")
    assert (out.returncode, out.stdout) == (0, "deployment.apps/api restarted\n")
    patch = kubesim.api_calls(verb="patch", resource="deployments")
    assert len(patch) == 1 and patch[0].status == 200
    new = kubesim.pods()
    assert len(new) == 2 and not set(new) & set(old)
    pod = kubesim.pod("default", new[0])
    assert "kubectl.kubernetes.io/restartedAt" in pod["metadata"]["annotations"]
    out = kubesim.kubectl("get", "rs", "-o",
                          "jsonpath={range .items[*]}{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
                          "={.spec.replicas} {end}")
    assert sorted(out.stdout.split()) == ["1=0", "2=2"]
    out = kubesim.kubectl("rollout", "history", "deployment/api")
    assert [line.split()[0] for line in out.stdout.splitlines()[2:] if line.strip()] == ["1", "2"]


def test_rollout_status_waits_for_new_pods(kubesim):
    old = kubesim.add_deployment("default", "api", replicas=2)
    kubesim.set_delays(pod_start=60)  # new pods stay Pending: the test makes them Ready, step by step
    assert kubesim.kubectl("rollout", "restart", "deploy/api").returncode == 0
    status = subprocess.Popen(["kubectl", "rollout", "status", "deploy/api", "--timeout=30s"], env=kubesim.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # maxSurge 25% of 2 rounds up to 1, maxUnavailable down to 0: one new pod, both old ones serve.
        assert status.stdout.readline() == (
            'Waiting for deployment "api" rollout to finish: 1 out of 2 new replicas have been updated...\n')
        [first] = [p for p in kubesim.deployment_pods("default", "api") if p not in old]
        assert sorted(kubesim.pods()) == sorted([*old, first])
        kubesim.set_phase("default", first, "Running")  # Ready: one old pod goes, the second new one comes
        [second] = [p for p in kubesim.deployment_pods("default", "api") if p not in (*old, first)]
        kubesim.set_phase("default", second, "Running")
        out, err = status.communicate(timeout=30)
    finally:
        status.kill()
    assert status.returncode == 0, err
    assert out.splitlines()[-1] == 'deployment "api" successfully rolled out'
    assert sorted(kubesim.pods()) == sorted([first, second])
    assert kubesim.api_calls(verb="watch", resource="deployments")


def test_rollout_status_times_out_on_pods_that_never_get_ready(kubesim):
    kubesim.add_deployment("default", "worker", replicas=1, ready=False)
    out = kubesim.kubectl("rollout", "status", "deploy/worker", "--timeout=1s")
    assert out.returncode == 1
    assert out.stdout.startswith('Waiting for deployment "worker" rollout to finish: 0 of 1 updated replicas')
    assert "timed out waiting for the condition" in out.stderr


def test_scale_and_set_image(kubesim):
    kubesim.add_deployment("default", "web", replicas=1, containers=[{"name": "web", "image": "web:1"}])
    out = kubesim.kubectl("scale", "deployment/web", "--replicas=3")
    assert (out.returncode, out.stdout) == (0, "deployment.apps/web scaled\n")
    assert len(kubesim.pods()) == 3
    out = kubesim.kubectl("set", "image", "deployment/web", "web=web:2")
    assert out.returncode == 0, out.stderr
    out = kubesim.kubectl("get", "pods", "-o", "jsonpath={.items[*].spec.containers[0].image}")
    assert out.stdout.split() == ["web:2"] * 3


def test_delete_pod(kubesim):
    owned = kubesim.add_deployment("default", "api", replicas=1)[0]
    kubesim.add_pod("default", "bare")
    out = kubesim.kubectl("delete", "pod", "bare")
    assert (out.returncode, out.stdout) == (0, 'pod "bare" deleted\n')
    out = kubesim.kubectl("delete", "pod", owned)
    assert out.returncode == 0
    # The ReplicaSet replaces a pod deleted through the API, like a real cluster.
    remaining = kubesim.pods()
    assert len(remaining) == 1 and remaining[0] not in (owned, "bare")
    out = kubesim.kubectl("delete", "pod", "bare")
    assert out.returncode == 1
    assert out.stderr.strip() == 'Error from server (NotFound): pods "bare" not found'


def test_delete_pod_waits_while_it_terminates(kubesim):
    kubesim.add_pod("default", "slow")
    kubesim.set_delays(termination=0.5)
    out = kubesim.kubectl("delete", "pod", "slow")
    assert out.returncode == 0
    assert kubesim.pods() == []
    assert kubesim.api_calls(verb="watch", resource="pods")  # kubectl waited for the deletion
