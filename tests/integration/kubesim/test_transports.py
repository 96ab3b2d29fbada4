"""How kubectl reaches the container: WebSocket then SPDY, RBAC on each, latency, idle timeouts."""

from __future__ import annotations

import subprocess
import time

import pexpect
import pytest

from tests.integration.kubesim.test_exec import wait_for
from tests.kubesim.execstream import process_alive

pytestmark = pytest.mark.kubectl

SPDY_ONLY = {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}  # kubectl's switch back to SPDY only


def exec_calls(sim):
    return [(r.method, r.verb, r.status) for r in sim.api_calls(resource="pods/exec")]


def test_create_only_user_is_refused_the_websocket_and_falls_back_to_spdy(kubesim):
    """Up to 1.34 the WebSocket GET needs `get pods/exec` (kubernetes#78741): with only
    `create`, kubectl 1.30+ gets 403, then succeeds over SPDY (a POST)."""
    pod = kubesim.add_deployment("default", "api")[0]
    kubesim.add_user("creator", "creator-token", [{"verbs": ["get"], "resources": ["pods"]},
                                                  {"verbs": ["create"], "resources": ["pods/exec"]}])
    out = kubesim.kubectl("--token", "creator-token", "exec", pod, "--", "sh", "-c", "echo via-spdy; exit 5")
    assert (out.returncode, out.stdout, out.stderr) == (5, "via-spdy\n", "command terminated with exit code 5\n")
    assert exec_calls(kubesim) == [("GET", "get", 403), ("POST", "create", 101)]
    [event] = kubesim.execs
    assert (event.transport, event.protocol, event.exit_code) == ("spdy", "v4.channel.k8s.io", 5)


def test_get_only_user_may_exec_over_websocket_but_not_spdy(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    kubesim.add_user("getter", "getter-token", [{"verbs": ["get"], "resources": ["pods", "pods/exec"]}])
    out = kubesim.kubectl("--token", "getter-token", "exec", pod, "--", "echo", "ok")
    assert (out.returncode, out.stdout) == (0, "ok\n")
    kubesim.clear_requests()
    out = kubesim.kubectl("--token", "getter-token", "exec", pod, "--", "echo", "ok",
                          env=kubesim.env(**SPDY_ONLY))
    assert out.returncode == 1
    assert out.stderr.strip() == (f'Error from server (Forbidden): pods "{pod}" is forbidden: User "getter" '
                                  f'cannot create resource "pods/exec" in API group "" in the namespace "default"')
    assert exec_calls(kubesim) == [("POST", "create", 403)]


def test_spdy_streams_stdin_exit_code_and_tty(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    env = kubesim.env(**SPDY_ONLY)
    out = kubesim.kubectl("exec", "-i", pod, "--", "sh", "-c", "wc -l; echo err >&2; exit 3",
                          input="a\nb\n", env=env)
    assert (out.returncode, out.stdout.split(), out.stderr) == (3, ["2"], "err\ncommand terminated with exit code 3\n")
    big = kubesim.kubectl("exec", pod, "--", "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x", env=env)
    assert big.returncode == 0 and big.stdout == "x" * 300000  # several DATA frames
    child = pexpect.spawn("kubectl", ["exec", "-it", pod, "--", "sh", "-c", "stty size; read x; stty size; exit 4"],
                          env=env, dimensions=(24, 80), timeout=15, encoding="utf-8")
    try:
        child.expect(r"24 80\r\n")
        child.setwinsize(30, 100)
        assert wait_for(lambda: (100, 30) in kubesim.execs[-1].sizes)
        child.sendline("go")
        child.expect(r"30 100\r\n")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 4
    assert {e.transport for e in kubesim.execs} == {"spdy"}


def test_errors_before_the_upgrade_are_the_same_on_both_transports(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    for env in (kubesim.env(), kubesim.env(**SPDY_ONLY)):
        out = kubesim.kubectl("exec", "ghost", "--", "true", env=env)
        assert out.stderr.strip() == 'Error from server (NotFound): pods "ghost" not found'
        out = kubesim.kubectl("exec", pod, "-c", "nope", "--", "true", env=env)
        assert out.stderr.strip() == f"Error from server (BadRequest): container nope is not valid for pod {pod}"
    assert kubesim.execs == []


def test_latency_is_added_to_requests_and_exec_setup(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    kubesim.kubectl("get", "pods")  # discovery cached: the next get is one request
    kubesim.set_latency(150)
    kubesim.clear_requests()
    started = time.monotonic()
    assert kubesim.kubectl("get", "pod", pod).returncode == 0
    assert time.monotonic() - started >= 0.15 * len(kubesim.requests)
    started = time.monotonic()
    out = kubesim.kubectl("exec", pod, "--", "echo", "slow")
    assert out.stdout == "slow\n"
    # pod lookup + upgrade + the API server -> kubelet hop: three round trips at least
    assert time.monotonic() - started >= 0.45


def test_idle_timeout_cuts_a_quiet_exec_and_the_process_keeps_running(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    kubesim.set_exec_idle_timeout(0.6)
    out = kubesim.kubectl("exec", pod, "--", "sh", "-c", "echo start; sleep 30")
    assert out.returncode == 1
    assert out.stdout == "start\n"
    assert out.stderr.strip().splitlines()[-1] == (
        "error: error reading from error stream: next reader: websocket: close 1006 (abnormal closure): "
        "unexpected EOF")
    event = kubesim.execs[-1]
    assert event.idle_timeout and event.disconnected and process_alive(event.pid)
    # Over SPDY the cut looks like an end of stream: kubectl says nothing and exits 0.
    out = kubesim.kubectl("exec", pod, "--", "sh", "-c", "echo start; sleep 30", env=kubesim.env(**SPDY_ONLY))
    assert (out.returncode, out.stdout, out.stderr) == (0, "start\n", "")
    assert kubesim.execs[-1].idle_timeout
    # Output keeps a stream alive.
    out = kubesim.kubectl("exec", pod, "--", "sh", "-c", "for i in 1 2 3 4 5; do sleep 0.15; echo $i; done")
    assert (out.returncode, out.stdout.split()) == (0, ["1", "2", "3", "4", "5"])


def test_stopping_kubesim_reaps_detached_processes(tmp_path):
    from tests.kubesim.simulator import KubeSim

    sim = KubeSim.start(tmp_path / "sim")
    pod = sim.add_deployment("default", "api")[0]
    proc = subprocess.Popen(["kubectl", "exec", pod, "--", "sh", "-c", "echo up; exec sleep 60"], env=sim.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "up\n"
    proc.kill()
    proc.communicate()
    [event] = sim.execs
    assert wait_for(lambda: event.disconnected)
    sim.stop()
    assert not process_alive(event.pid) and event.done
