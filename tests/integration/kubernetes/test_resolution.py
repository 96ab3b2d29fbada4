"""Namespace precedence, context switching and container choice, end to end."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kubectl

NAMESPACES = ["ns-flag", "ns-env", "ns-flavor", "ns-config", "ns-defaults", "default"]

FULL = """\
project: {name: shop}
kubernetes: {namespace: ns-config}
defaults:
  kubernetes: {namespace: ns-defaults}
flavors:
  f:
    patches:
      - {op: replace, path: /kubernetes/namespace, value: ns-flavor}
components:
  api:
    rootDir: .
    tasks:
      where: {script: 'true', executors: [kubernetes]}
"""
ONLY_DEFAULTS = """\
project: {name: shop}
defaults:
  kubernetes: {namespace: ns-defaults}
components:
  api:
    rootDir: .
    tasks:
      where: {script: 'true', executors: [kubernetes]}
"""
NOTHING = """\
project: {name: shop}
components:
  api:
    rootDir: .
    tasks:
      where: {script: 'true', executors: [kubernetes]}
"""
ENV_IN_CONFIG = FULL.replace(
    "{namespace: ns-config}", '{namespace: "${env:K8S_NAMESPACE:-ns-config}"}'
)


@pytest.mark.parametrize(
    "config, args, env, expected",
    [
        (FULL, ["-n", "ns-flag", "--flavor", "f"], {"K8S_NAMESPACE": "ns-env"}, "ns-flag"),
        (FULL, ["--flavor", "f"], {"K8S_NAMESPACE": "ns-env"}, "ns-env"),
        (FULL, ["--flavor", "f"], {}, "ns-flavor"),
        (FULL, [], {"EMB_FLAVOR": "f"}, "ns-flavor"),
        (FULL, [], {}, "ns-config"),
        (FULL, [], {"K8S_NAMESPACE": ""}, "ns-config"),
        (ONLY_DEFAULTS, [], {}, "ns-defaults"),
        (NOTHING, [], {}, "default"),
        (ENV_IN_CONFIG, [], {"K8S_NAMESPACE": "ns-env"}, "ns-env"),
        (ENV_IN_CONFIG, [], {}, "ns-config"),
        (ENV_IN_CONFIG, ["-n", "ns-flag"], {"K8S_NAMESPACE": "ns-env"}, "ns-flag"),
    ],
    ids=[
        "flag",
        "env",
        "flavor",
        "EMB_FLAVOR",
        "config",
        "empty-env",
        "defaults",
        "default",
        "env-in-config",
        "env-in-config-unset",
        "flag-over-env-in-config",
    ],
)
def test_namespace_precedence(repo, config, args, env, expected):
    for ns in NAMESPACES:
        repo.sim.add_deployment(ns, "api")
    repo.write(config)
    out = repo.emb("run", "api:where", *args, **env)
    assert out.returncode == 0, out.stderr
    assert [e.namespace for e in repo.sim.execs] == [expected]


def test_context_switches_cluster(repo):
    [first] = repo.sim.add_deployment("default", "api")
    [second] = repo.sim.second.add_deployment("default", "api")
    repo.write(NOTHING.replace("'true'", "'echo $HOSTNAME'"))
    out = repo.emb("run", "api:where", "--context", "sim-2")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{second}\n"
    assert repo.sim.execs[-1].cluster == "two"
    out = repo.emb("run", "api:where")  # kubectl's current context: sim
    assert out.stdout == f"{first}\n"


def test_context_from_config_and_flag_over_config(repo):
    [first] = repo.sim.add_deployment("default", "api")
    [second] = repo.sim.second.add_deployment("default", "api")
    repo.write(
        NOTHING.replace("'true'", "'echo $HOSTNAME'").replace(
            "components:", "kubernetes: {context: sim-2}\ncomponents:"
        )
    )
    assert repo.emb("run", "api:where").stdout == f"{second}\n"
    assert repo.emb("run", "api:where", "--context", "sim").stdout == f"{first}\n"


def test_context_switches_user_readonly_cannot_exec(repo):
    repo.sim.add_deployment("staging", "api")
    repo.write(NOTHING)
    out = repo.emb("run", "api:where", "-n", "staging", "--context", "sim-readonly")
    assert out.returncode == 125
    assert repo.sim.execs == []
    assert "forbidden: user 'readonly' cannot create pods/exec in namespace staging" in out.stderr
    assert (
        "kubectl --context sim-readonly --namespace staging auth can-i create pods/exec"
        in out.stderr
    )
    assert "failed with exit code" not in out.stderr


CONTAINERS = """\
project: {name: shop}
components:
  api:
    rootDir: .
    CONTAINER
    tasks:
      where: {script: 'true', executors: [kubernetes]}
"""


def _write_containers(repo, container: str | None):
    repo.write(
        CONTAINERS.replace(
            "CONTAINER", f"kubernetes: {{container: {container}}}" if container else ""
        )
    )


def test_single_container_pod(repo):
    repo.sim.add_deployment("default", "api", containers=[{"name": "main"}])
    _write_containers(repo, None)
    assert repo.emb("run", "api:where").returncode == 0
    assert repo.sim.execs[-1].container == "main"


def test_multi_container_with_configured_container(repo):
    repo.sim.add_deployment(
        "default",
        "api",
        containers=[{"name": "app"}, {"name": "sidecar"}],
        annotations={"kubectl.kubernetes.io/default-container": "app"},
    )
    _write_containers(repo, "sidecar")  # the config wins over the annotation
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    assert repo.sim.execs[-1].container == "sidecar"


def test_default_container_annotation(repo):
    repo.sim.add_deployment(
        "default",
        "api",
        containers=[{"name": "istio-proxy"}, {"name": "app"}],
        annotations={"kubectl.kubernetes.io/default-container": "app"},
    )
    _write_containers(repo, None)
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    assert repo.sim.execs[-1].container == "app"


def test_multi_container_without_choice_lists_them(repo):
    [pod] = repo.sim.add_deployment(
        "default", "api", containers=[{"name": "app"}, {"name": "sidecar"}]
    )
    _write_containers(repo, None)
    out = repo.emb("run", "api:where")
    assert out.returncode == 125
    assert f"pod {pod} has 2 containers (app, sidecar)" in out.stderr
    assert "components: {api: {kubernetes: {container: app}}}" in out.stderr
    assert repo.sim.execs == []


def test_configured_container_missing(repo):
    [pod] = repo.sim.add_deployment(
        "default", "api", containers=[{"name": "app"}, {"name": "sidecar"}]
    )
    _write_containers(repo, "web")
    out = repo.emb("run", "api:where")
    assert out.returncode == 125
    assert f"container 'web' not found in pod {pod} (containers: app, sidecar)" in out.stderr


def test_configured_container_missing_with_pod_flag(repo):
    """--pod plus a configured container skips the lookup; kubectl's refusal is still explained."""
    [pod] = repo.sim.add_deployment("default", "api", containers=[{"name": "app"}])
    _write_containers(repo, "web")
    out = repo.emb("run", "api:where", "--pod", pod)
    assert out.returncode == 125, out.stderr
    assert f"container 'web' not found in pod {pod}" in out.stderr
    assert "jsonpath={.spec.containers[*].name}" in out.stderr
