"""`kubectl exec` over the WebSocket v5 protocol, against local "container" processes."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import time

import pexpect
import pytest

from tests.kubesim.execstream import group_alive, process_alive

pytestmark = pytest.mark.kubectl


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_exit_code_and_streams(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    out = kubesim.kubectl("exec", pod, "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 7")
    assert out.returncode == 7
    assert out.stdout == "to-out\n"
    assert out.stderr == "to-err\ncommand terminated with exit code 7\n"
    out = kubesim.kubectl("exec", pod, "--", "true")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    assert [e.exit_code for e in kubesim.execs] == [7, 0]
    assert kubesim.execs[0].command == ["sh", "-c", "echo to-out; echo to-err >&2; exit 7"]
    # The upgrade is a WebSocket GET to pods/exec, authorized as "get pods/exec" (up to 1.34).
    assert [(r.method, r.verb, r.status) for r in kubesim.api_calls(resource="pods/exec")] == [
        ("GET", "get", 101)] * 2
    assert {(e.transport, e.protocol) for e in kubesim.execs} == {("websocket", "v5.channel.k8s.io")}


def test_stdin_is_closed_at_eof(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    out = kubesim.kubectl("exec", "-i", pod, "--", "sh", "-c", "wc -l; echo after-eof",
                          input="one\ntwo\nthree\n")
    assert (out.returncode, out.stdout.split()) == (0, ["3", "after-eof"])


def test_container_env_workdir_and_hostname(kubesim):
    pod = kubesim.add_deployment("default", "api", containers=[{
        "name": "api", "workingDir": "/app",
        "env": [{"name": "APP_ENV", "value": "prod"}, {"name": "URL", "value": "http://$(APP_ENV).local"},
                {"name": "MY_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
    }])[0]
    script = 'printf "%s|%s|%s|%s|%s|%s\\n" "$PWD" "$APP_ENV" "$URL" "$MY_NS" "$HOSTNAME" "${HOST_ONLY:-unset}"'
    out = kubesim.kubectl("exec", pod, "--", "sh", "-c", script, env={**kubesim.env(), "HOST_ONLY": "leak"})
    assert out.returncode == 0, out.stderr
    cwd, app_env, url, ns, hostname, leaked = out.stdout.strip().split("|")
    assert cwd == str(kubesim.pod_dir("default", pod) / "app")
    assert (app_env, url, ns, hostname, leaked) == ("prod", "http://prod.local", "default", pod, "unset")


def test_container_selection(kubesim):
    containers = [{"name": "sidecar", "env": [{"name": "WHO", "value": "sidecar"}]},
                  {"name": "app", "env": [{"name": "WHO", "value": "app"}]}]
    kubesim.add_pod("default", "plain", containers=containers)
    kubesim.add_pod("default", "annotated", containers=containers,
                    annotations={"kubectl.kubernetes.io/default-container": "app"})
    out = kubesim.kubectl("exec", "plain", "--", "sh", "-c", "echo $WHO")
    assert out.stdout == "sidecar\n"
    assert 'Defaulted container "sidecar" out of: sidecar, app' in out.stderr
    out = kubesim.kubectl("exec", "annotated", "--", "sh", "-c", "echo $WHO")
    assert (out.stdout, out.stderr) == ("app\n", "")
    out = kubesim.kubectl("exec", "plain", "-c", "app", "--", "sh", "-c", "echo $WHO")
    assert out.stdout == "app\n"
    out = kubesim.kubectl("exec", "plain", "-c", "nope", "--", "true")
    assert out.returncode == 1
    assert out.stderr.strip() == "Error from server (BadRequest): container nope is not valid for pod plain"


def test_missing_command_and_missing_pod(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    out = kubesim.kubectl("exec", pod, "--", "no-such-binary")
    assert out.returncode == 1
    assert 'exec: "no-such-binary": executable file not found in $PATH' in out.stderr
    out = kubesim.kubectl("exec", "ghost", "--", "true")
    assert out.returncode == 1
    assert out.stderr.strip() == 'Error from server (NotFound): pods "ghost" not found'


def test_tty_resize_reaches_the_process(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    child = pexpect.spawn("kubectl", ["exec", "-it", pod, "--", "sh", "-c",
                                      'stty size; echo "term=$TERM"; read x; stty size; read y; exit 3'],
                          env=kubesim.env(), dimensions=(24, 80), timeout=15, encoding="utf-8")
    try:
        child.expect(r"24 80\r\n")
        child.expect("term=xterm")
        child.setwinsize(40, 132)
        assert wait_for(lambda: (132, 40) in kubesim.execs[-1].sizes)
        child.sendline("next")
        child.expect(r"40 132\r\n")
        child.sendline("done")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 3
    assert kubesim.execs[-1].tty is True


def test_readonly_user_cannot_exec_but_can_get(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    out = kubesim.kubectl("get", "pod", pod, "-o", "name", context="sim-readonly")
    assert (out.returncode, out.stdout.strip()) == (0, f"pod/{pod}")
    out = kubesim.kubectl("exec", pod, "--", "true", context="sim-readonly")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f'Error from server (Forbidden): pods "{pod}" is forbidden: User "readonly" cannot create '
        f'resource "pods/exec" in API group "" in the namespace "default"')
    assert kubesim.execs == []


WAIT_FOR_INT = 'echo $$; trap "echo got-int > interrupted; exit 130" INT; while :; do sleep 0.05; done'


@pytest.mark.parametrize("websockets", ["true", "false"])
def test_process_outlives_kubectl_and_a_second_exec_can_signal_it(kubesim, websockets):
    """kubernetes#89031: killing kubectl does not kill the remote command; a second exec,
    in the same pod, sees it and can signal its process group."""
    pod = kubesim.add_deployment("default", "api")[0]
    env = {**kubesim.env(), "KUBECTL_REMOTE_COMMAND_WEBSOCKETS": websockets}
    proc = subprocess.Popen(["kubectl", "exec", pod, "--", "sh", "-c", WAIT_FOR_INT], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pgid = int(proc.stdout.readline())
        [event] = kubesim.execs
        assert event.pid == pgid and event.transport == ("websocket" if websockets == "true" else "spdy")
        proc.kill()
        proc.wait(10)
        assert wait_for(lambda: event.disconnected)
        assert process_alive(pgid) and group_alive(pgid) and not event.done
        out = kubesim.kubectl("exec", pod, "--", "sh", "-c", f"kill -INT -{pgid}")
        assert out.returncode == 0, out.stderr
        assert wait_for(lambda: event.done)
        assert event.exit_code == 130
        assert (kubesim.pod_dir("default", pod) / "interrupted").read_text() == "got-int\n"
        assert wait_for(lambda: not group_alive(pgid))
    finally:
        proc.kill()
        proc.communicate()


def test_detached_processes_die_with_their_pod_and_the_server(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    proc = subprocess.Popen(["kubectl", "exec", pod, "--", "sh", "-c", "echo up; exec sleep 60"],
                            env=kubesim.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "up\n"
    proc.kill()
    proc.communicate()
    [event] = kubesim.execs
    assert wait_for(lambda: event.disconnected) and kubesim.running_exec_pids() == [event.pid]
    kubesim.delete_pod("default", pod)
    assert wait_for(lambda: event.done) and event.exit_code == 137
    assert kubesim.running_exec_pids() == []


def test_pod_deleted_between_lookup_and_exec(kubesim):
    pod = kubesim.add_deployment("default", "api", replicas=2)[0]
    kubesim.on_next_exec(lambda event: kubesim.delete_pod(event.namespace, event.pod), when="before")
    out = kubesim.kubectl("exec", pod, "--", "echo", "never")
    assert out.returncode == 1
    assert out.stderr.strip() == f'Error from server (NotFound): pods "{pod}" not found'
    assert kubesim.execs == [] and pod not in kubesim.pods()


def test_pod_deleted_during_exec_kills_the_command(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    proc = subprocess.Popen(["kubectl", "exec", pod, "--", "sh", "-c", "echo started; sleep 60"],
                            env=kubesim.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "started\n"
    kubesim.delete_pod("default", pod)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 137
    assert err == "command terminated with exit code 137\n"


def test_server_stopped_mid_exec(kubesim):
    pod = kubesim.add_deployment("default", "api")[0]
    kubesim.on_next_exec(lambda event: kubesim.stop(), when="started")
    started = time.monotonic()
    out = kubesim.kubectl("exec", pod, "--", "sh", "-c", "sleep 60")
    assert time.monotonic() - started < 10
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and any(
        cause in last for cause in ("abnormal closure", "unexpected EOF", "connection reset")), last
    assert not process_alive(kubesim.execs[-1].pid)
    assert kubesim.stopped


def test_v4_protocol_reports_exit_code(kubesim):
    """kubectl 1.32 asks for v5 only; older clients use v4 (no close signal)."""
    pod = kubesim.add_deployment("default", "api")[0]
    import aiohttp

    async def run() -> tuple[str | None, bytes, dict]:
        ctx = ssl.create_default_context(cadata=kubesim.ca_pem.decode())
        url = (f"{kubesim.url}/api/v1/namespaces/default/pods/{pod}/exec"
               "?command=sh&command=-c&command=echo+hi%3B+exit+4&stdout=true&stderr=true")
        headers = {"Authorization": f"Bearer {kubesim.tokens['admin']}"}
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, protocols=("v4.channel.k8s.io",), headers=headers,
                                          ssl=ctx) as ws:
                stdout, status = b"", {}
                async for msg in ws:
                    if msg.data[0] == 1:
                        stdout += msg.data[1:]
                    elif msg.data[0] == 3:
                        status = json.loads(msg.data[1:])
                return ws.protocol, stdout, status

    protocol, stdout, status = asyncio.run(run())
    assert protocol == "v4.channel.k8s.io"
    assert stdout == b"hi\n"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "4"}]


def test_kubectl_run_interactive_attaches_and_reports_the_exit_code(kubesim):
    """`kubectl run -it` attaches to the container's own process; with restartPolicy Never its
    exit completes the pod, and kubectl exits with the container's code."""
    child = pexpect.spawn("kubectl", ["run", "-it", "--restart=Never", "--image=busybox", "tmp", "--", "sh"],
                          env=kubesim.env(), timeout=15, encoding="utf-8")
    try:
        child.expect("If you don't see a command prompt, try pressing enter.")
        child.sendline("echo attached-to-$HOSTNAME")
        child.expect("attached-to-tmp")
        child.sendline("exit 3")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 3
    [attach] = kubesim.execs
    assert (attach.kind, attach.transport, attach.exit_code) == ("attach", "websocket", 3)
    out = kubesim.kubectl("get", "pod", "tmp", "--no-headers")
    assert out.stdout.split()[1:3] == ["0/1", "Error"]
    assert kubesim.pod("default", "tmp")["status"]["phase"] == "Failed"
