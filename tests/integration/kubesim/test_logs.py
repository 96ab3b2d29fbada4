"""`kubectl logs`: containers, selectors, --tail, --timestamps and --follow."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.kubectl

BOOT_LOG = {"kubesim.emb.dev/log": "starting\nlistening on :8080\nready"}


def test_logs_of_a_pod_and_tail(kubesim):
    pod = kubesim.add_deployment("default", "api", annotations=BOOT_LOG)[0]
    out = kubesim.kubectl("logs", pod)
    assert (out.returncode, out.stdout) == (0, "starting\nlistening on :8080\nready\n")
    out = kubesim.kubectl("logs", pod, "--tail=2")
    assert out.stdout == "listening on :8080\nready\n"
    out = kubesim.kubectl("logs", pod, "--tail=1", "--timestamps")
    stamp, text = out.stdout.rstrip("\n").split(" ", 1)
    assert text == "ready" and stamp.endswith("Z") and "T" in stamp
    call = kubesim.api_calls(resource="pods/log")[-1]
    assert "tailLines=1" in call.query and "timestamps=true" in call.query


def test_logs_of_a_deployment_and_by_label(kubesim):
    kubesim.add_deployment("default", "web", replicas=2, labels={"app": "web", "tier": "front"},
                           containers=[{"name": "web"}, {"name": "exporter"}],
                           annotations={"kubectl.kubernetes.io/default-container": "web"})
    pods = kubesim.pods()
    kubesim.append_log("default", pods[0], "from web 0", container="web")
    kubesim.append_log("default", pods[0], "from exporter 0", container="exporter")
    kubesim.append_log("default", pods[1], "from web 1", container="web")
    out = kubesim.kubectl("logs", "deploy/web")
    assert out.returncode == 0, out.stderr
    assert out.stdout in ("from web 0\n", "from web 1\n")
    assert "Found 2 pods, using pod/" in out.stderr
    out = kubesim.kubectl("logs", "-l", "tier in (front)", "-c", "exporter", "--prefix")
    assert out.stdout == f"[pod/{pods[0]}/exporter] from exporter 0\n"
    out = kubesim.kubectl("logs", pods[0], "-c", "nope")
    assert out.returncode == 1
    assert out.stderr.strip() == f"error: container nope is not valid for pod {pods[0]}"


def test_logs_without_container_choice_uses_first_and_says_so(kubesim):
    kubesim.add_pod("default", "two", containers=[{"name": "first"}, {"name": "second"}])
    kubesim.append_log("default", "two", "one", container="first")
    out = kubesim.kubectl("logs", "two")
    assert out.stdout == "one\n"
    assert 'Defaulted container "first" out of: first, second' in out.stderr


def test_follow_streams_new_lines_until_the_pod_goes(kubesim):
    pod = kubesim.add_deployment("default", "api", annotations={"kubesim.emb.dev/log": "boot"})[0]
    proc = subprocess.Popen(["kubectl", "logs", "-f", pod], env=kubesim.env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == "boot\n"
        kubesim.append_log("default", pod, "request 1\nrequest 2")
        assert proc.stdout.readline() == "request 1\n"
        assert proc.stdout.readline() == "request 2\n"
        kubesim.delete_pod("default", pod)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (0, "", "")
    assert "follow=true" in kubesim.api_calls(resource="pods/log")[0].query


def test_logs_of_missing_pod(kubesim):
    out = kubesim.kubectl("logs", "ghost")
    assert out.returncode == 1
    assert out.stderr.strip() == 'error: error from server (NotFound): pods "ghost" not found in namespace "default"'
