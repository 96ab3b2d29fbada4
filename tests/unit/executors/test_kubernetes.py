"""The exec Command: argv shape, -i/-t rules, the sh -c script, dry-run details."""

import subprocess
from pathlib import Path

import pytest

from emb.errors import ConfigError
from emb.executors import RunContext
from emb.executors.kubernetes import build_script, command_for_pod, exec_argv, stdio_flags
from emb.kube import PodChoice, Target
from emb.model import Monorepo, Task


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
    "interactive, stdin_tty, stdout_tty, expected",
    [
        (
            False,
            True,
            True,
            (False, False),
        ),  # plain run from a terminal: no stdin forwarded, no tty
        (False, False, True, (True, False)),  # piped stdin reaches the task
        (False, False, False, (True, False)),
        (True, True, True, (True, True)),  # console on a terminal
        (True, True, False, (True, False)),  # output redirected: no -t
        (True, False, True, (True, False)),  # stdin piped: no -t, never hangs
    ],
)
def test_stdio_flags(interactive, stdin_tty, stdout_tty, expected):
    assert stdio_flags(interactive, stdin_tty, stdout_tty) == expected


NASTY = {
    "QUOTE": 'it\'s "quoted"',
    "DOLLAR": "$HOME ${x} `id` $(id)",
    "NEWLINE": "line1\nline2\n",
    "BACKSLASH": "a\\b\\\\c\\n",
    "UNICODE": "héllo ✓ 日本",
    "EMPTY": "",
    "GLOB": "* ? [a]",
}


def run_sh(script: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], capture_output=True, cwd=cwd)


def test_vars_arrive_byte_for_byte_in_a_real_sh():
    task = Task(id="api:t", name="t", component="api", script="env -0", vars=NASTY)
    out = run_sh(build_script(task)).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    for k, v in NASTY.items():
        assert env[k] == v, k


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
        == "export ENV=staging; export NOTE='it'\"'\"'s'; export EMPTY=''; cd /app || exit 1; run"
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


def _monorepo():
    return Monorepo(
        name="m",
        root=Path("/tmp"),
        config_file=Path("/tmp/.emb.yml"),
        flavor=None,
        components={},
        tasks={},
    )


def test_command_details_and_where():
    task = Task(
        id="api:migrate", name="migrate", component="api", script="migrate", interactive=False
    )
    ctx = RunContext(monorepo=_monorepo(), stdin_tty=False, stdout_tty=False)
    cmd = command_for_pod(
        task,
        ctx,
        Target("staging", "sim", namespace_source="--namespace"),
        PodChoice("api-1", "app", "app=api", None),
    )
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
    assert (
        "kubectl --context sim --namespace staging exec -i api-1 -c app -- sh -c migrate"
        == cmd.shell_line()
    )


def test_interactive_on_terminal_gets_tty():
    task = Task(id="api:console", name="console", component="api", script="sh", interactive=True)
    ctx = RunContext(monorepo=_monorepo(), stdin_tty=True, stdout_tty=True)
    cmd = command_for_pod(task, ctx, Target("default"), PodChoice("api-1", "app"))
    assert cmd.tty is True
    assert cmd.argv[3:7] == ("exec", "-i", "-t", "api-1")


class _Result:
    def __init__(self, exit_code, stderr_tail):
        self.exit_code, self.stderr_tail = exit_code, stderr_tail


def test_retry_command_leaves_task_failures_alone_and_explains_kubectl_refusals():
    from emb.errors import CannotStart
    from emb.executors.kubernetes import retry_command

    task = Task(id="api:migrate", name="migrate", component="api", script="migrate")
    ctx = RunContext(monorepo=_monorepo(), namespace="staging", context="sim-readonly")
    assert (
        retry_command(task, ctx, _Result(3, b"boom\ncommand terminated with exit code 3\n")) is None
    )
    assert retry_command(task, ctx, _Result(1, b"my own error: nope\n")) is None
    forbidden = (
        b'Error from server (Forbidden): pods "api-1" is forbidden: User "readonly" cannot create '
        b'resource "pods/exec" in API group "" in the namespace "staging"\n'
    )
    with pytest.raises(CannotStart) as err:
        retry_command(task, ctx, _Result(1, forbidden))
    assert err.value.exit_code == 125
    assert (
        "kubectl --context sim-readonly --namespace staging auth can-i create pods/exec"
        in err.value.hints[0]
    )
