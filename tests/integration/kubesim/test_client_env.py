"""Where kubectl runs and how it logs in: exec credential plugins, a context's namespace, in a pod."""

from __future__ import annotations

import time

import pexpect
import pytest

pytestmark = pytest.mark.kubectl

EXEC = ("--context", "sim-exec")


def test_credential_plugin_runs_in_every_kubectl_process(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    kubesim.credential_plugin.configure(delay=0.3)
    started = time.monotonic()
    out = kubesim.kubectl(*EXEC, "get", "pods", "-o", "name")
    assert (out.returncode, out.stdout) == (0, f"pod/{pod}\n")
    assert time.monotonic() - started >= 0.3
    kubesim.credential_plugin.configure()
    out = kubesim.kubectl(*EXEC, "exec", pod, "--", "echo", "as-exec-user")
    assert out.stdout == "as-exec-user\n"
    calls = kubesim.credential_plugin.calls
    assert len(calls) == 2 and len({c["ppid"] for c in calls}) == 2  # once per kubectl process
    assert {r.user for r in kubesim.api_calls()} == {"exec-user"}
    assert kubesim.kubectl(*EXEC, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout == "exec-user"


def test_credential_plugin_failure_is_shown_with_kubectls_line(kubesim):
    kubesim.credential_plugin.configure(fail="Error when retrieving token from sso: Token has expired and refresh failed")
    out = kubesim.kubectl(*EXEC, "get", "pods")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert "Error when retrieving token from sso: Token has expired and refresh failed" in lines
    assert lines[-1].startswith("Unable to connect to the server: getting credentials: exec: executable ")
    assert lines[-1].endswith("credential-plugin failed with exit code 1")
    assert kubesim.api_calls() == []


def test_credential_plugin_prompt_waits_for_the_terminal(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    prompt = "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code X7Q2"
    kubesim.credential_plugin.configure(prompt=prompt)
    # Without a terminal kubectl gives the plugin no stdin (interactiveMode IfAvailable).
    out = kubesim.kubectl(*EXEC, "get", "pods")
    assert out.returncode == 1 and prompt in out.stderr
    assert "standard input is not a terminal" in out.stderr
    child = pexpect.spawn("kubectl", [*EXEC, "get", "pods", "-o", "name"], env=kubesim.env(), timeout=15,
                          encoding="utf-8")
    try:
        child.expect("enter the code X7Q2")
        assert kubesim.api_calls() == []  # kubectl waits for the plugin
        child.sendline("done")
        child.expect(f"pod/{pod}")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert kubesim.credential_plugin.calls[-1]["interactive"] is True


def test_context_namespace_is_kubectls_default(kubesim):
    [shop] = kubesim.add_deployment("shop", "api")
    kubesim.add_deployment("default", "api")
    out = kubesim.kubectl("--context", "sim-ns", "get", "pods", "-o", "name")
    assert out.stdout == f"pod/{shop}\n"
    out = kubesim.kubectl("--context", "sim-ns", "config", "view", "--minify", "-o",
                          "jsonpath={.contexts[0].context.namespace}")
    assert out.stdout == "shop"
    assert kubesim.kubectl("--context", "sim-ns", "exec", shop, "--", "sh", "-c", "echo $HOSTNAME").stdout == f"{shop}\n"


def test_in_cluster_config_uses_the_service_account_namespace(kubesim, tmp_path):
    [shop] = kubesim.add_deployment("shop", "api")
    kubesim.add_deployment("default", "api")
    pod = kubesim.in_cluster(tmp_path / "pod", namespace="shop")
    out = pod.kubectl("get", "pods", "-o", "name")
    assert (out.returncode, out.stdout) == (0, f"pod/{shop}\n"), out.stderr
    out = pod.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert out.stdout == "system:serviceaccount:shop:default"
    out = pod.kubectl("exec", shop, "--", "echo", "from-a-pod")
    assert out.stdout == "from-a-pod\n"
    out = pod.kubectl("get", "pods", "-n", "default")
    assert out.stderr.strip() == ('Error from server (Forbidden): pods is forbidden: User '
                                  '"system:serviceaccount:shop:default" cannot list resource "pods" in API group "" '
                                  'in the namespace "default"')
    out = pod.kubectl("config", "current-context")
    assert (out.returncode, out.stderr.strip()) == (1, "error: current-context is not set")
    # The service-account directory exists only inside the command's mount namespace.
    out = pod.run("cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    assert out.stdout == "shop"
    assert kubesim.requests[-1].user != "admin"
