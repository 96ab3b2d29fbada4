"""Tokens and RBAC: 401 for an unknown token, 403 for a verb the user lacks."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kubectl

# The text in parentheses depends on whether kubectl had discovery cached (the
# Status message) or not (client-go's text for a 401 during discovery).
UNAUTHORIZED = ("error: You must be logged in to the server (Unauthorized)",
                "error: You must be logged in to the server "
                "(the server has asked for the client to provide credentials)")


@pytest.mark.parametrize("args", [("get", "pods"), ("get", "ns"), ("exec", "POD", "--", "true"),
                                  ("logs", "POD"), ("rollout", "restart", "deploy/api")])
def test_bad_token_is_unauthorized(kubesim, args):
    pod = kubesim.add_deployment("default", "api")[0]
    out = kubesim.kubectl(*[pod if a == "POD" else a for a in args], context="sim-badtoken")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] in UNAUTHORIZED
    assert {r.status for r in kubesim.requests if r.path != "/version"} == {401}
    assert kubesim.execs == []


def test_readonly_user_reads_but_cannot_change(kubesim):
    pod = kubesim.add_deployment("default", "api", annotations={"kubesim.emb.dev/log": "hello"})[0]
    ro = {"context": "sim-readonly"}
    assert kubesim.kubectl("get", "pods", **ro).returncode == 0
    assert kubesim.kubectl("get", "deploy", "api", **ro).returncode == 0
    assert kubesim.kubectl("logs", pod, **ro).stdout == "hello\n"
    out = kubesim.kubectl("delete", "pod", pod, **ro)
    assert out.returncode == 1
    assert out.stderr.strip() == (f'Error from server (Forbidden): pods "{pod}" is forbidden: User "readonly" '
                                  f'cannot delete resource "pods" in API group "" in the namespace "default"')
    out = kubesim.kubectl("rollout", "restart", "deployment/api", **ro)
    assert out.returncode == 1
    assert ('deployments.apps "api" is forbidden: User "readonly" cannot patch resource "deployments" '
            'in API group "apps" in the namespace "default"') in out.stderr
    out = kubesim.kubectl("auth", "can-i", "create", "pods", "--subresource=exec", **ro)
    assert (out.returncode, out.stdout.strip()) == (1, "no")
    out = kubesim.kubectl("auth", "can-i", "list", "pods", **ro)
    assert (out.returncode, out.stdout.strip()) == (0, "yes")
    assert kubesim.pods() == [pod]


def test_custom_user_rules_per_namespace(kubesim):
    kubesim.add_user("deployer", "deployer-token", [
        {"verbs": ["get", "list"], "resources": ["pods"]},
        {"verbs": ["create"], "resources": ["pods/exec"], "namespaces": ["shop"]},
    ])
    shop = kubesim.add_deployment("shop", "api")[0]
    other = kubesim.add_deployment("default", "api")[0]
    as_deployer = ("--token", "deployer-token")
    out = kubesim.kubectl(*as_deployer, "exec", "-n", "shop", shop, "--", "sh", "-c", "echo in-shop")
    assert (out.returncode, out.stdout) == (0, "in-shop\n")
    out = kubesim.kubectl(*as_deployer, "exec", other, "--", "true")
    assert out.returncode == 1 and 'User "deployer" cannot create resource "pods/exec"' in out.stderr
    out = kubesim.kubectl(*as_deployer, "get", "deploy")
    assert out.returncode == 1 and "(Forbidden)" in out.stderr
    assert {r.user for r in kubesim.api_calls()} == {"deployer"}
