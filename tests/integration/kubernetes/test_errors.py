"""Every SPEC §4 error: exit 125, one line, hints naming the kubectl command to investigate."""

from __future__ import annotations

import re
import socket

import pytest

pytestmark = pytest.mark.kubectl

CONFIG = """\
project: {name: shop}
components:
  api:
    rootDir: .
    KUBE
    tasks:
      migrate: {script: 'echo ran', executors: [kubernetes]}
"""


def write(repo, kube: str = ""):
    return repo.write(CONFIG.replace("KUBE", kube))


def error_lines(stderr: str) -> list[str]:
    """emb's error: exactly one `emb: error:` line, then hint lines; no traceback."""
    assert "Traceback" not in stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("emb: error:")]
    assert len(errors) == 1, stderr
    return [errors[0]] + [ln.strip() for ln in stderr.splitlines() if ln.startswith("  hint:")]


def test_kubectl_not_installed(repo, tmp_path):
    write(repo)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = repo.emb("run", "api:migrate", "-x", "kubernetes", PATH=str(empty))
    assert out.returncode == 125, out.stderr
    lines = error_lines(out.stderr)
    assert lines[0] == "emb: error: kubectl is not installed (not found on PATH)"
    assert "hint: install kubectl: https://kubernetes.io/docs/tasks/tools/" in lines


def test_emb_kubectl_pointing_nowhere(repo):
    write(repo)
    out = repo.emb("run", "api:migrate", EMB_KUBECTL="/nonexistent/kubectl")
    assert out.returncode == 125
    assert (
        "kubectl command not found: /nonexistent/kubectl (from EMB_KUBECTL)"
        in error_lines(out.stderr)[0]
    )


def test_context_not_found(repo):
    write(repo)
    out = repo.emb("run", "api:migrate", "--context", "nope")
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert lines[0] == "emb: error: kubectl context 'nope' not found in your kubeconfig"
    assert "hint: list the contexts: kubectl config get-contexts -o name" in lines


def test_cluster_unreachable_shows_context_and_server(repo):
    repo.sim.add_deployment("default", "api")
    write(repo)
    server = repo.sim.url
    repo.sim.stop()
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert lines[0].startswith(
        f"emb: error: cluster unreachable (context sim, server {server}, namespace default):"
    )
    assert "hint: check the cluster: kubectl cluster-info" in lines


def test_cluster_unreachable_with_context_flag(repo):
    write(repo)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kubeconfig = repo.root.parent / "dead.kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: dead, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {}}]\n"
        "contexts: [{name: dead-ctx, context: {cluster: dead, user: u}}]\n"
    )
    out = repo.emb("run", "api:migrate", "--context", "dead-ctx", KUBECONFIG=str(kubeconfig))
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert f"(context dead-ctx, server http://127.0.0.1:{port}, namespace default)" in lines[0]
    assert "hint: check the cluster: kubectl --context dead-ctx cluster-info" in lines


def test_unauthorized(repo):
    repo.sim.add_deployment("default", "api")
    write(repo)
    out = repo.emb("run", "api:migrate", "--context", "sim-badtoken")
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert (
        lines[0]
        == "emb: error: the cluster rejected kubectl's credentials (Unauthorized, context sim-badtoken)"
    )
    assert any("kubectl --context sim-badtoken config view --minify" in h for h in lines)


def test_namespace_not_found_selector_and_deployment_paths(repo):
    repo.sim.add_deployment("default", "api")
    for kube in ("kubernetes: {selector: app=api}", ""):
        write(repo, kube)
        out = repo.emb("run", "api:migrate", "-n", "nope")
        assert out.returncode == 125, out.stderr
        lines = error_lines(out.stderr)
        assert (
            lines[0]
            == "emb: error: namespace 'nope' not found (namespace nope, context sim)"
        )
        assert "hint: list the namespaces: kubectl get namespaces" in lines


def test_deployment_not_found_lists_deployments(repo):
    repo.sim.add_namespace("staging")
    write(repo, "kubernetes: {deployment: api-server}")
    out = repo.emb("run", "api:migrate", "-n", "staging")
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert lines[0] == "emb: error: deployment 'api-server' not found in namespace staging (context sim)"
    assert "hint: list the deployments: kubectl --namespace staging get deployments" in lines


def test_no_pods_match_the_selector(repo):
    repo.sim.add_deployment("staging", "web")
    write(repo, "kubernetes: {selector: 'app=api,tier=backend'}")
    out = repo.emb("run", "api:migrate", "-n", "staging")
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert lines[0] == (
        "emb: error: no pods match selector app=api,tier=backend in namespace staging "
        "for component api"
    )
    assert "hint: check: kubectl --namespace staging get pods -l app=api,tier=backend" in lines


def test_no_ready_pod_lists_phase_and_readiness(repo):
    pods = repo.sim.add_deployment("default", "api", replicas=2, ready=False)
    repo.sim.set_phase("default", pods[1], "Pending")
    write(repo)
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert lines[0].startswith("emb: error: no Ready pod for component api in namespace default: ")
    assert f"{pods[0]} (Running, not ready)" in lines[0]
    assert f"{pods[1]} (Pending, not ready)" in lines[0]
    assert "hint: check: kubectl get pods -l app=api" in lines
    assert any(
        h.startswith("hint: see why: kubectl describe pod ") for h in lines
    )
    assert repo.sim.execs == []


def test_terminating_pods_are_not_ready(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.sim.set_terminating("default", pod)
    write(repo)
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 125
    assert f"{pod} (Running, terminating)" in out.stderr


def test_server_dies_mid_exec(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(CONFIG.replace("KUBE", "").replace("'echo ran'", "'echo started; sleep 30'"))
    repo.sim.on_next_exec(lambda e: repo.sim.stop(), when="started")
    out = repo.emb("run", "api:migrate", timeout=60)
    assert out.returncode == 255, out.stderr  # after the task started: outcome unknown (SPEC §3)
    lines = error_lines(out.stderr)
    assert re.match(
        r"emb: error: lost the connection to the cluster while running task api:migrate in pod api-",
        lines[0],
    )


def test_no_kubeconfig_at_all(repo):
    write(repo)
    out = repo.emb("run", "api:migrate", KUBECONFIG=str(repo.root / "missing-kubeconfig"))
    assert out.returncode == 125
    lines = error_lines(out.stderr)
    assert lines[0].startswith(
        "emb: error: kubectl has no cluster configured (no current context in "
    )
    assert "hint: list the contexts: kubectl config get-contexts -o name" in lines
