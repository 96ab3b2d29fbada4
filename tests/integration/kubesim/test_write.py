"""Creating and changing objects: apply -f (client-side, validated), create (protobuf), delete."""

from __future__ import annotations

import pytest

from tests.kubesim.pytest_plugin import EXAMPLES

pytestmark = pytest.mark.kubectl


def test_apply_examples_then_change_one(kubesim, tmp_path):
    out = kubesim.kubectl("apply", "-f", str(EXAMPLES))
    assert out.returncode == 0, out.stderr
    assert "deployment.apps/web created" in out.stdout.splitlines()
    assert len(kubesim.pods("shop")) == 6
    posts = kubesim.api_calls(verb="create")
    assert posts and all("fieldValidation=Strict" in r.query for r in posts)

    changed = tmp_path / "web.yaml"
    changed.write_text((EXAMPLES / "web.yaml").read_text().replace("replicas: 3", "replicas: 1")
                       .replace("shop/web:2.0.0", "shop/web:2.0.1"))
    out = kubesim.kubectl("apply", "-f", str(changed))
    assert (out.returncode, out.stdout) == (0, "deployment.apps/web configured\n")
    out = kubesim.kubectl("get", "pods", "-n", "shop", "-l", "app=web",
                          "-o", "jsonpath={.items[*].spec.containers[1].image}")
    assert out.stdout.split() == ["registry.example.com/shop/web:2.0.1"]
    out = kubesim.kubectl("apply", "-f", str(changed))
    assert out.stdout == "deployment.apps/web unchanged\n"


def test_create_commands_send_protobuf(kubesim):
    assert kubesim.kubectl("create", "namespace", "tmp").stdout == "namespace/tmp created\n"
    out = kubesim.kubectl("create", "deployment", "nginx", "-n", "tmp", "--image=nginx:1", "--replicas=2")
    assert (out.returncode, out.stdout) == (0, "deployment.apps/nginx created\n")
    assert len(kubesim.pods("tmp")) == 2
    out = kubesim.kubectl("create", "configmap", "cfg", "-n", "tmp", "--from-literal=a=1")
    assert out.returncode == 0, out.stderr
    assert kubesim.get("configmaps", "tmp", "cfg")["data"] == {"a": "1"}
    out = kubesim.kubectl("create", "namespace", "tmp")
    assert out.returncode == 1
    assert out.stderr.strip() == 'Error from server (AlreadyExists): namespaces "tmp" already exists'


def test_delete_namespace_and_deployment_cascade(kubesim):
    kubesim.add_deployment("tmp", "api", replicas=2)
    kubesim.add_deployment("keep", "api", replicas=1)
    out = kubesim.kubectl("delete", "deployment", "api", "-n", "keep")
    assert (out.returncode, out.stdout) == (0, 'deployment.apps "api" deleted\n')
    assert kubesim.pods("keep") == [] and kubesim.get("deployments", "keep", "api") is None
    out = kubesim.kubectl("delete", "namespace", "tmp")
    assert (out.returncode, out.stdout) == (0, 'namespace "tmp" deleted\n')
    assert kubesim.pods("tmp") == []
    out = kubesim.kubectl("get", "ns", "tmp")
    assert out.returncode == 1 and "NotFound" in out.stderr
