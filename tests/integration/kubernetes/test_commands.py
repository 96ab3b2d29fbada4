"""`emb kubernetes ps | logs | restart | shell` against kubesim with the real kubectl."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

pytestmark = pytest.mark.kubectl

CONFIG = """\
project: {name: shop}
components:
  api:
    rootDir: .
  worker:
    rootDir: .
    kubernetes: {selector: 'app in (worker,cron)', container: worker}
  web:
    rootDir: .
    kubernetes: {deployment: frontend}
"""


def test_ps_lists_pods_with_their_component(repo):
    api = repo.sim.add_deployment("staging", "api", replicas=2)
    [worker] = repo.sim.add_deployment(
        "staging", "worker", containers=[{"name": "worker"}, {"name": "metrics"}]
    )
    [web] = repo.sim.add_deployment("staging", "frontend", labels={"app": "web"})
    repo.sim.add_pod("staging", "stray", labels={"app": "other"}, ready=False)
    repo.sim.set_restarts("staging", api[1], 3)
    repo.sim.add_deployment("default", "api")  # another namespace: not listed
    repo.write(CONFIG)
    out = repo.emb("kubernetes", "ps", "-n", "staging", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["namespace"] == "staging"
    rows = {r["name"]: r for r in doc["pods"]}
    assert set(rows) == {*api, worker, web, "stray"}
    assert [rows[p]["component"] for p in api] == ["api", "api"]
    assert rows[worker]["component"] == "worker" and rows[worker]["ready"] == "2/2"
    assert rows[web]["component"] == "web"
    assert rows["stray"]["component"] is None and rows["stray"]["ready"] == "0/1"
    assert rows[api[1]]["restarts"] == 3
    assert {r["status"] for r in doc["pods"]} == {"Running"}

    table = repo.emb("kubernetes", "ps", "-n", "staging").stdout.splitlines()
    assert table[0].split() == ["NAME", "COMPONENT", "READY", "STATUS", "RESTARTS", "AGE"]
    assert any(line.split()[:5] == [worker, "worker", "2/2", "Running", "0"] for line in table)
    assert any(line.split()[:3] == ["stray", "-", "0/1"] for line in table)


def test_ps_namespace_from_group_option_and_errors(repo):
    repo.sim.add_deployment("staging", "api")
    repo.write(CONFIG)
    out = repo.emb("kubernetes", "-n", "staging", "ps", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["namespace"] == "staging"
    out = repo.emb("kubernetes", "ps", "-n", "nope")
    assert out.returncode == 125
    assert "namespace 'nope' not found" in out.stderr
    out = repo.emb("kubernetes", "ps", "--context", "sim-badtoken")
    assert out.returncode == 125
    assert "Unauthorized" in out.stderr


def test_logs_of_the_component_pod_and_container(repo):
    [pod] = repo.sim.add_deployment(
        "default", "worker", containers=[{"name": "worker"}, {"name": "metrics"}]
    )
    repo.sim.append_log("default", pod, "line one\nline two\nline three\n", container="worker")
    repo.sim.append_log("default", pod, "metrics noise\n", container="metrics")
    repo.write(CONFIG)
    out = repo.emb("kubernetes", "logs", "worker")
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("line one\nline two\nline three\n")
    assert "metrics noise" not in out.stdout
    out = repo.emb("kubernetes", "logs", "worker", "--tail", "1")
    assert out.stdout == "line three\n"


def test_logs_without_ready_pod_shows_the_newest(repo):
    repo.sim.add_pod(
        "default",
        "api-old",
        labels={"app": "api"},
        age=100,
        ready=False,
        containers=[{"name": "api"}],
    )
    repo.sim.add_pod(
        "default",
        "api-new",
        labels={"app": "api"},
        age=5,
        ready=False,
        containers=[{"name": "api"}],
    )
    repo.sim.append_log("default", "api-new", "crashing: no database\n")
    repo.write(
        CONFIG.replace(
            "  api:\n    rootDir: .\n",
            "  api:\n    rootDir: .\n    kubernetes: {selector: app=api}\n",
        )
    )
    out = repo.emb("kubernetes", "logs", "api")
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("crashing: no database\n")
    assert "no Ready pod for api; showing the newest pod, api-new" in out.stderr


def test_logs_unknown_component(repo):
    repo.write(CONFIG)
    out = repo.emb("kubernetes", "logs", "nope")
    assert out.returncode == 2
    assert "unknown component 'nope' (components: api, worker, web)" in out.stderr


def test_restart_named(repo):
    for name in ("api", "frontend", "other"):
        repo.sim.add_deployment("default", name)
    repo.write(CONFIG)
    repo.sim.clear_requests()
    out = repo.emb(
        "kubernetes", "restart", "web", "api"
    )  # component names stand for their deployments
    assert out.returncode == 0, out.stderr
    patched = sorted(
        r.path.rsplit("/", 1)[-1] for r in repo.sim.api_calls(verb="patch", resource="deployments")
    )
    assert patched == ["api", "frontend"]


def test_restart_all_with_wait(repo):
    old_api = repo.sim.add_deployment("default", "api")
    old_web = repo.sim.add_deployment("default", "frontend")
    repo.sim.add_deployment("default", "other")
    repo.write(CONFIG)
    repo.sim.clear_requests()
    repo.sim.set_delays(pod_start=0.5)
    out = repo.emb("kubernetes", "restart", "--all", "--wait", timeout=60)
    assert out.returncode == 0, out.stderr
    patched = sorted(
        r.path.rsplit("/", 1)[-1] for r in repo.sim.api_calls(verb="patch", resource="deployments")
    )
    assert patched == ["api", "frontend", "other"]
    assert "successfully rolled out" in out.stdout
    new_api = repo.sim.deployment_pods("default", "api")
    assert new_api and set(new_api).isdisjoint(old_api)
    assert all(p not in repo.sim.pods("default") for p in old_web)


def test_restart_missing_deployment_and_forbidden(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(CONFIG)
    out = repo.emb("kubernetes", "restart", "ghost")
    assert out.returncode == 125
    assert "deployment 'ghost' not found in namespace default" in out.stderr
    out = repo.emb("kubernetes", "restart", "api", "--context", "sim-readonly")
    assert out.returncode == 125
    assert "auth can-i patch deployments" in out.stderr


def test_shell_without_terminal_reads_stdin(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(CONFIG)
    out = repo.emb("kubernetes", "shell", "api", input="echo in $HOSTNAME; exit 4\n")
    assert out.returncode == 4
    assert out.stdout == f"in {pod}\n"
    assert repo.sim.execs[-1].command[:2] == ["sh", "-c"] and "exec bash" in repo.sim.execs[-1].command[2] and repo.sim.execs[-1].tty is False


def test_shell_on_a_terminal(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(CONFIG)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "emb", "kubernetes", "shell", "api", "-s", "sh -i"],
        cwd=str(repo.root),
        env=repo.env(),
        dimensions=(20, 70),
        timeout=30,
        encoding="utf-8",
    )
    try:
        child.expect(r"[#$] ")  # the remote shell's prompt: it reads the terminal from now on
        child.sendline("echo host=$HOSTNAME; stty size")
        child.expect(f"host={pod}")
        child.expect("20 70")
        child.sendline("exit 5")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 5
    assert repo.sim.execs[-1].tty is True
    assert repo.sim.execs[-1].command == ["sh", "-i"]
