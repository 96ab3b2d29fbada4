"""The kubernetes executor's Command: argv shape, -i/-t rules, the sh -c script,
dry-run details, and what it makes of kubectl's failures.

kubectl is a small sh script on a private PATH (tests/unit/fakes.py) that answers the one
`get pods` lookup with a Ready pod and logs its calls; the real thing is
exercised in tests/integration/kubernetes.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from emb.errors import CannotStart, ConfigError
from emb.executors.kubernetes import KubernetesExecutor, build_script, exec_argv, stop_script, vars_header
from emb.executors.script import script_argv
from emb.kube.target import Target
from emb.model import ComponentKubernetes, Task
from emb.process.command import RunResult
from tests.builders import context, monorepo
from tests.unit.fakes import make_exe

POD = {
    "metadata": {"name": "api-1", "creationTimestamp": "2024-05-01T10:00:00Z", "labels": {"app": "api"}},
    "spec": {"containers": [{"name": "app"}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
}


@pytest.fixture
def kubectl(monkeypatch, tmp_path):
    """`kubectl` on an otherwise empty PATH: `get pods` lists POD; every call is logged."""
    for key in ("EMB_KUBECTL", "K8S_NAMESPACE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "kubectl-calls.log"
    listing = json.dumps({"items": [POD]})
    make_exe(bindir / "kubectl", f"echo \"$*\" >> '{calls}'\nprintf '%s\\n' '{listing}'\n")
    monkeypatch.setenv("PATH", str(bindir))  # the fake uses sh builtins only
    return calls


def executor(**ctx) -> KubernetesExecutor:
    """An executor for a monorepo whose component api has pods `app=api`, container app."""
    repo = monorepo(components=["api"],
                    component_kubernetes={"api": ComponentKubernetes(selector="app=api", container="app")})
    return KubernetesExecutor(context(repo, **ctx))


def exec_flags(argv) -> tuple[bool, bool]:
    """(-i, -t) of a `kubectl ... exec [-i] [-t] api-1 ...` argv."""
    flags = argv[argv.index("exec") + 1: argv.index("api-1")]
    return ("-i" in flags, "-t" in flags)


def test_exec_argv_shape():
    argv = exec_argv(
        Target("staging", "sim"), "api-1", "app", ["sh", "-c", "true"], stdin=True, tty=True
    )
    assert argv == [
        "kubectl",
        "--context",
        "sim",
        "--namespace",
        "staging",
        "exec",
        "-i",
        "-t",
        "api-1",
        "-c",
        "app",
        "--",
        "sh",
        "-c",
        "true",
    ]
    argv = exec_argv(Target("default"), "p", "c", ["sh"], stdin=False, tty=False)
    assert argv == ["kubectl", "--namespace", "default", "exec", "p", "-c", "c", "--", "sh"]


@pytest.mark.parametrize(
    "interactive, stdin_tty, stdout_tty, supplies, expected",
    [
        (False, True, True, False, (False, False)),  # plain run from a terminal: no stdin, no tty
        (False, False, True, True, (True, False)),  # piped stdin reaches the task
        (False, False, False, True, (True, False)),
        (False, False, True, False, (False, False)),  # </dev/null: no -i (the ssh -n problem)
        (True, True, True, False, (True, True)),  # console on a terminal
        (True, True, False, False, (True, False)),  # output redirected: no -t
        (True, False, True, True, (True, False)),  # stdin piped: no -t, never hangs
        (True, False, True, False, (False, False)),  # interactive, but stdin is /dev/null
    ],
)
def test_stdio_flags(kubectl, interactive, stdin_tty, stdout_tty, supplies, expected):
    task = Task(id="api:t", name="t", component="api", script="true", interactive=interactive)
    cmd = executor(stdin_tty=stdin_tty, stdout_tty=stdout_tty, stdin_supplies=supplies).command(task)
    assert exec_flags(cmd.argv) == expected
    assert cmd.tty is expected[1]


NASTY = {
    "QUOTE": 'it\'s "quoted"',
    "DOLLAR": "$HOME ${x} `id` $(id)",
    "NEWLINE": "line1\nline2\n",
    "BACKSLASH": "a\\b\\\\c\\n",
    "UNICODE": "héllo ✓ 日本",
    "EMPTY": "",
    "GLOB": "* ? [a]",
}


def run_sh(script: str, cwd=None, args=()) -> subprocess.CompletedProcess:
    """The script as the pod runs it: under the errexit launcher (emb.executors.script)."""
    return subprocess.run(script_argv(script, args), capture_output=True, cwd=cwd)


def test_vars_arrive_byte_for_byte_in_a_real_sh():
    task = Task(id="api:t", name="t", component="api", script="env -0", vars=NASTY)
    out = run_sh(build_script(task)).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    for k, v in NASTY.items():
        assert env[k] == v, k


@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize("user_input", [b"", b"line 1\nline 2\n", b"no newline at the end"])
def test_vars_on_stdin_arrive_byte_for_byte_and_leave_the_input_alone(shell, user_input, tmp_path):
    """The secret path: values in the stdin header, the task's own input after it."""
    task = Task(id="api:t", name="t", component="api", script="env -0 > env.out; cat", vars=NASTY)
    script = build_script(task, vars_on_stdin=True)
    for value in NASTY.values():
        assert len(value) < 3 or value not in script
    proc = subprocess.run([shell, "-c", script], input=vars_header(task) + user_input, capture_output=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == user_input
    out = (tmp_path / "env.out").read_bytes()
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    for k, v in NASTY.items():
        assert env[k] == v, k
    assert "__emb_l" not in env and "__emb_nl" not in env


def test_quoting_only_where_needed():
    task = Task(
        id="api:t",
        name="t",
        component="api",
        script="run",
        workdir="/app",
        vars={"ENV": "staging", "NOTE": "it's", "EMPTY": ""},
    )
    assert (
        build_script(task)
        == "export ENV=staging; export NOTE='it'\"'\"'s'; export EMPTY=''; cd /app; run"
    )


def test_workdir_and_multiline_script(tmp_path):
    (tmp_path / "w d").mkdir()
    task = Task(
        id="api:t",
        name="t",
        component="api",
        workdir=str(tmp_path / "w d"),
        script="pwd\necho second",
        vars={"A": "1"},
    )
    proc = run_sh(build_script(task))
    assert proc.stdout.decode().splitlines() == [str(tmp_path / "w d"), "second"]


def test_missing_workdir_stops_the_script(tmp_path):
    task = Task(
        id="api:t", name="t", component="api", workdir=str(tmp_path / "nope"), script="echo ran"
    )
    proc = run_sh(build_script(task))
    assert proc.returncode == 1 and b"ran" not in proc.stdout


def test_exit_code_of_script_is_kept():
    task = Task(id="api:t", name="t", component="api", script="exit 42", vars={"X": "y"})
    assert run_sh(build_script(task)).returncode == 42


def test_invalid_var_name_or_nul_byte_is_a_config_error():
    with pytest.raises(ConfigError):
        build_script(
            Task(id="api:t", name="t", component="api", script="true", vars={"BAD-NAME": "x"})
        )
    with pytest.raises(ConfigError):
        build_script(Task(id="api:t", name="t", component="api", script="true", vars={"X": "a\0b"}))


def test_command_details_and_where(kubectl):
    task = Task(
        id="api:migrate", name="migrate", component="api", script="migrate", interactive=False
    )
    cmd = executor(namespace="staging", context="sim", stdin_tty=False, stdout_tty=False,
                   stdin_supplies=True).command(task)
    assert cmd.argv[:9] == (
        "kubectl",
        "--context",
        "sim",
        "--namespace",
        "staging",
        "exec",
        "-i",
        "api-1",
        "-c",
    )
    assert cmd.tty is False
    assert cmd.where == "pod api-1 (container app, namespace staging, context sim)"
    assert {
        k: cmd.details[k] for k in ("namespace", "context", "pod", "container", "selector")
    } == {
        "namespace": "staging",
        "context": "sim",
        "pod": "api-1",
        "container": "app",
        "selector": "app=api",
    }
    assert cmd.details["namespace from"] == "--namespace"
    head = "kubectl --context sim --namespace staging exec -i api-1 -c app -- "
    assert cmd.shell_line().startswith(head)
    script = cmd.argv[-1]
    assert list(cmd.argv[len(head.split()):-1]) == script_argv("")[:-1]
    assert re.fullmatch(r"\{ echo \$\$ >/tmp/emb-run-[0-9a-f]{12}\.pid; \} 2>/dev/null \|\| :; migrate", script)
    # one lookup: the component's pods and ReplicaSets, by the configured selector, bounded in time
    assert kubectl.read_text().splitlines() == [
        "--context sim --namespace staging --request-timeout=10s get pods,replicasets --selector=app=api -o json"
    ]


def test_no_namespace_anywhere_leaves_it_to_kubectl(kubectl, tmp_path):
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("current-context: shop-ctx\ncontexts:\n- name: shop-ctx\n  context: {cluster: c, user: u, namespace: shop}\n"
                          "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {}\n")
    os.environ["KUBECONFIG"] = str(kubeconfig)
    task = Task(id="api:t", name="t", component="api", script="true")
    cmd = executor().command(task)
    assert "--namespace" not in cmd.argv and "--context" not in cmd.argv
    assert cmd.details["namespace"] == "shop"
    assert cmd.details["namespace from"] == "kubeconfig context shop-ctx"
    assert cmd.details["context"] == "shop-ctx"
    assert cmd.where == "pod api-1 (container app, namespace shop, context shop-ctx)"
    assert "--namespace" not in kubectl.read_text()


def test_task_args_reach_the_script_as_positional_parameters(kubectl):
    task = Task(id="api:t", name="t", component="api", script='printf "<%s>" "$@"')
    cmd = executor(args=("a b", "--flag", ""), args_for=frozenset({"api:t"})).command(task)
    sep = cmd.argv.index("--")
    assert cmd.argv[-3:] == ("a b", "--flag", "")
    out = subprocess.run(cmd.argv[sep + 1:], capture_output=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert out == b"<a b><--flag><>"


def test_no_stdin_wins_over_a_pipe(kubectl):
    task = Task(id="api:t", name="t", component="api", script="true")
    assert exec_flags(executor(stdin_supplies=True, no_stdin=True).command(task).argv) == (False, False)


def test_stop_script_signals_the_recorded_process_group(tmp_path, monkeypatch):
    import emb.executors.kubernetes as k

    monkeypatch.setattr(k, "PID_DIR", str(tmp_path))
    task = Task(id="api:t", name="t", component="api", script="sleep 60 & sleep 60; wait")
    child = subprocess.Popen(script_argv(build_script(task, "tok")), start_new_session=True)
    import threading
    threading.Thread(target=child.wait, daemon=True).start()  # reaped as a pod's init would
    pidfile = tmp_path / "emb-run-tok.pid"
    for _ in range(200):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        child.poll()
        import time
        time.sleep(0.01)  # polling for a file the child writes: no event to await
    assert int(pidfile.read_text()) == child.pid
    assert subprocess.run(["sh", "-c", stop_script("tok")]).returncode == 0
    assert child.wait(timeout=10) == -2 or child.returncode != 0
    assert not pidfile.exists()
    assert subprocess.run(["sh", "-c", stop_script("tok")]).returncode == 3  # nothing recorded any more


def test_interactive_on_terminal_gets_tty(kubectl):
    task = Task(id="api:console", name="console", component="api", script="sh", interactive=True)
    cmd = executor(stdin_tty=True, stdout_tty=True).command(task)
    assert cmd.tty is True
    assert cmd.argv[:4] == ("kubectl", "exec", "-i", "-t")


def result(exit_code: int, stderr_tail: bytes) -> RunResult:
    return RunResult(exit_code=exit_code, duration=0.1, log_path=Path(os.devnull), stderr_tail=stderr_tail)


def test_after_failure_leaves_task_failures_alone_and_explains_kubectl_refusals():
    task = Task(id="api:migrate", name="migrate", component="api", script="migrate")
    ex = executor(namespace="staging", context="sim-readonly")
    assert (
        ex.after_failure(task, result(3, b"boom\ncommand terminated with exit code 3\n")) is None
    )
    assert ex.after_failure(task, result(1, b"my own error: nope\n")) is None
    forbidden = (
        b'Error from server (Forbidden): pods "api-1" is forbidden: User "readonly" cannot create '
        b'resource "pods/exec" in API group "" in the namespace "staging"\n'
    )
    with pytest.raises(CannotStart) as err:
        ex.after_failure(task, result(1, forbidden))
    assert err.value.exit_code == 125
    assert (
        "kubectl --context sim-readonly --namespace staging auth can-i create pods/exec"
        in err.value.hints[0]
    )
