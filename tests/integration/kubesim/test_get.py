"""Discovery, contexts and read-only kubectl commands against the simulator."""

from __future__ import annotations

import json
import time

import pytest

from tests.kubesim.pytest_plugin import EXAMPLES

pytestmark = pytest.mark.kubectl


def rows(stdout: str) -> list[list[str]]:
    """Table output without its header, split into columns."""
    return [line.split() for line in stdout.strip().splitlines()[1:]]


def test_version_and_discovery(kubesim):
    out = kubesim.kubectl("version", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["serverVersion"]["gitVersion"] == "v1.32.4"

    kubesim.clear_requests()
    out = kubesim.kubectl("api-resources", "--no-headers")
    assert out.returncode == 0, out.stderr
    by_name = {line.split()[0]: line.split() for line in out.stdout.splitlines()}
    assert by_name["pods"][1:3] == ["po", "v1"]
    assert by_name["deployments"][1:3] == ["deploy", "apps/v1"]
    # Aggregated discovery: kubectl needs /api and /apis only, not one call per group.
    paths = {r.path for r in kubesim.requests if r.user_agent.startswith("kubectl/")}
    assert paths == {"/api", "/apis"}


def test_namespaces_list_get_and_not_found(kubesim):
    kubesim.add_namespace("staging")
    out = kubesim.kubectl("get", "namespaces")
    assert out.returncode == 0, out.stderr
    assert {r[0]: r[1] for r in rows(out.stdout)} == {
        "default": "Active", "kube-node-lease": "Active", "kube-public": "Active",
        "kube-system": "Active", "staging": "Active"}
    out = kubesim.kubectl("get", "ns", "staging", "-o", "jsonpath={.status.phase}")
    assert (out.returncode, out.stdout) == (0, "Active")
    out = kubesim.kubectl("get", "ns", "nope")
    assert out.returncode == 1
    assert out.stderr.strip() == 'Error from server (NotFound): namespaces "nope" not found'


def test_pods_table_shows_readiness_and_terminating(kubesim):
    pods = kubesim.add_deployment("default", "web", replicas=2)
    kubesim.add_pod("default", "lonely", ready=False,
                    containers=[{"name": "a"}, {"name": "b"}])
    kubesim.set_terminating("default", pods[1])
    kubesim.set_restarts("default", pods[0], 3)
    out = kubesim.kubectl("get", "pods")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    table = {r[0]: r[1:4] for r in rows(out.stdout)}
    assert table == {
        "lonely": ["0/2", "Running", "0"],
        pods[0]: ["1/1", "Running", "3"],
        pods[1]: ["1/1", "Terminating", "0"],
    }


@pytest.mark.parametrize("selector, expected", [
    ("tier=web", {"web"}),
    ("tier in (web)", {"web"}),
    ("tier in (web,db)", {"web", "db"}),
    ("tier notin (web)", {"db", "bare"}),
    ("tier!=db", {"web", "bare"}),
    ("!tier", {"bare"}),
    ("tier,env in (prod)", {"web"}),
])
def test_label_selectors(kubesim, selector, expected):
    kubesim.add_deployment("default", "web", replicas=2, labels={"app": "web", "tier": "web", "env": "prod"})
    kubesim.add_pod("default", "db", labels={"app": "db", "tier": "db"})
    kubesim.add_pod("default", "bare", labels={"app": "bare"})
    out = kubesim.kubectl("get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.labels.app}")
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == expected
    listed = kubesim.api_calls(verb="list", resource="pods")
    assert len(listed) == 1  # one list call, filtered by the server


def test_pod_json_is_realistic(kubesim):
    pods = kubesim.add_deployment("default", "api", replicas=1, labels={"app": "api"})
    out = kubesim.kubectl("get", "pod", pods[0], "-o", "json")
    assert out.returncode == 0, out.stderr
    pod = json.loads(out.stdout)
    meta = pod["metadata"]
    assert meta["name"].startswith("api-") and meta["labels"]["pod-template-hash"] in meta["name"]
    assert meta["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert meta["ownerReferences"][0]["name"] == f"api-{meta['labels']['pod-template-hash']}"
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert pod["status"]["phase"] == "Running"
    ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "True"
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    assert "deletionTimestamp" not in meta

    kubesim.set_terminating("default", pods[0])
    kubesim.set_ready("default", pods[0], False)
    out = kubesim.kubectl("get", "pod", pods[0], "-o",
                          'jsonpath={.metadata.deletionTimestamp} {.status.conditions[?(@.type=="Ready")].status}')
    stamp, ready_status = out.stdout.split()
    assert stamp.endswith("Z") and ready_status == "False"


def test_deployments_get_list_and_wide(kubesim):
    kubesim.add_deployment("default", "api", replicas=3, labels={"app": "api", "tier": "backend"},
                           containers=[{"name": "api", "image": "shop/api:1"}])
    kubesim.add_deployment("default", "worker", replicas=1, ready=False)
    out = kubesim.kubectl("get", "deployments", "-o", "wide")
    assert out.returncode == 0, out.stderr
    table = {r[0]: r[1:] for r in rows(out.stdout)}
    assert table["api"][:3] == ["3/3", "3", "3"]
    assert table["api"][4:] == ["api", "shop/api:1", "app=api,tier=backend"]
    assert table["worker"][:3] == ["0/1", "1", "0"]
    out = kubesim.kubectl("get", "deploy", "api", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}")
    assert out.stdout == "3/3"
    out = kubesim.kubectl("get", "deploy", "missing")
    assert out.returncode == 1
    assert 'deployments.apps "missing" not found' in out.stderr


def test_contexts_switch_clusters(kubesim):
    kubesim.add_deployment("default", "one", replicas=1)
    kubesim.second.add_deployment("default", "two", replicas=2)
    out = kubesim.kubectl("get", "deploy", "-o", "name")
    assert out.stdout.split() == ["deployment.apps/one"]
    out = kubesim.kubectl("get", "deploy", "-o", "name", context="sim-2")
    assert (out.returncode, out.stdout.split()) == (0, ["deployment.apps/two"])
    assert kubesim.second.pods("default") != kubesim.pods("default")
    assert {r.cluster for r in kubesim.api_calls(resource="deployments")} == {"sim", "two"}


def test_example_manifests(kubesim_examples):
    sim = kubesim_examples
    out = sim.kubectl("get", "pods", "-n", "shop", "-l", "app=web",
                      "-o", "jsonpath={range .items[*]}{.spec.containers[*].name};{end}")
    assert out.stdout.split(";")[:-1] == ["nginx-exporter web"] * 3
    out = sim.kubectl("get", "deploy", "-n", "shop")
    assert {r[0]: r[1] for r in rows(out.stdout)} == {"api": "2/2", "web": "3/3", "worker": "0/1"}
    out = sim.kubectl("get", "pods", "-n", "staging")
    assert {r[0]: r[2] for r in rows(out.stdout)} == {"migrate-old": "Terminating", "toolbox": "Running"}
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml"))  # the shell entry point loads the same files


def test_all_namespaces_and_get_all(kubesim):
    kubesim.add_deployment("shop", "api", replicas=1)
    kubesim.add_pod("staging", "toolbox")
    out = kubesim.kubectl("get", "pods", "-A", "--no-headers")
    assert sorted(r.split()[0] for r in out.stdout.splitlines()) == ["shop", "staging"]
    out = kubesim.kubectl("get", "all", "-n", "shop", "-o", "name")
    names = out.stdout.split()
    assert "deployment.apps/api" in names and any(n.startswith("replicaset.apps/api-") for n in names)
    assert sum(n.startswith("pod/api-") for n in names) == 1


def test_fixture_starts_fast(tmp_path):
    from tests.kubesim.simulator import KubeSim

    KubeSim.start(tmp_path / "warm").stop()  # imports and the TLS certificate are made once
    started = time.monotonic()
    sim = KubeSim.start(tmp_path / "timed")
    elapsed = time.monotonic() - started
    sim.stop()
    assert elapsed < 0.5
