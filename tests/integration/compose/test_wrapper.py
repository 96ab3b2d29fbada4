"""emb.docker.compose and the executor's command lines against the real daemon and Compose v2.

These call emb's functions in-process and run the executor's argv with
subprocess, so they check the command line itself, independent of the runner.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from emb.docker import compose
from emb.errors import CannotStart
from emb.executors.container import ContainerExecutor
from emb.model import Monorepo, Task
from emb.process.command import RunResult
from tests.builders import context, monorepo

pytestmark = pytest.mark.docker  # real Docker daemon + Compose v2


def monorepo_of(project) -> Monorepo:
    return monorepo(project.root, components=("api", "idle", "lib"), name="composetest")


def run_argv(cmd, input: bytes | None = None) -> subprocess.CompletedProcess:
    # The Command's env is part of it: the task vars' values travel there, not in the argv.
    env = {**os.environ, **cmd.env} if cmd.env else None
    return subprocess.run(list(cmd.argv), cwd=cmd.cwd, input=input, capture_output=True, timeout=60, env=env)


def exec_task(project, **task_fields) -> tuple:
    task = Task(id="api:t", name="t", component="api", **task_fields)
    executor = ContainerExecutor(context(monorepo_of(project)))
    return task, executor, executor.command(task)


# --- services ---------------------------------------------------------------------

def test_services_come_from_compose_config(in_project):
    assert compose.compose_services(monorepo_of(in_project)) == {"api", "web", "idle"}


def test_profiles_and_compose_file_and_override_are_honoured(in_project, monkeypatch, tmp_path):
    repo = monorepo_of(in_project)
    monkeypatch.setenv("COMPOSE_PROFILES", "tools")
    assert compose.compose_services(repo) == {"api", "web", "idle", "tools"}

    monkeypatch.delenv("COMPOSE_PROFILES")
    override = in_project.root / "compose.override.yaml"
    override.write_text(f"services:\n  extra:\n    image: {in_project.image}\n")
    try:
        assert compose.compose_services(repo) == {"api", "web", "idle", "extra"}
    finally:
        override.unlink()
    assert compose.compose_services(repo) == {"api", "web", "idle"}

    (in_project.root / "other.yaml").write_text(f"services:\n  solo:\n    image: {in_project.image}\n")
    monkeypatch.setenv("COMPOSE_FILE", "other.yaml")
    assert compose.compose_services(repo) == {"solo"}


def test_running_services_and_containers(in_project):
    repo = monorepo_of(in_project)
    assert compose.running_services(repo) == {"api", "web"}
    states = {c["Service"]: c["State"] for c in compose.containers(repo)}
    assert states == {"api": "running", "web": "running"}


def test_unreachable_daemon_is_a_clear_error(in_project, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(CannotStart) as err:
        compose.running_services(monorepo_of(in_project))
    assert err.value.message == "the Docker daemon is not reachable at unix:///nonexistent/docker.sock"
    assert err.value.exit_code == 125


# --- the exec command line, run for real --------------------------------------------------

def test_exit_code_and_streams_pass_through(in_project):
    _, _, cmd = exec_task(in_project, script="echo out; echo err >&2; exit 7")
    done = run_argv(cmd)
    assert (done.returncode, done.stdout, done.stderr) == (7, b"out\n", b"err\n")


SPECIAL = "quote ' dq \" dollar $HOME `bq` back\\slash\nnewline\ttab ünï €"


def test_vars_reach_the_script_byte_for_byte(in_project):
    _, _, cmd = exec_task(in_project, script='printf "%s" "$SPECIAL"; printf "|%s|" "$EMPTY"',
                          vars={"SPECIAL": SPECIAL, "EMPTY": ""})
    done = run_argv(cmd)
    assert done.returncode == 0, done.stderr
    assert done.stdout == SPECIAL.encode() + b"||"


def test_workdir_and_the_service_default(in_project):
    _, _, cmd = exec_task(in_project, script="pwd", workdir="/etc")
    assert run_argv(cmd).stdout == b"/etc\n"
    _, _, cmd = exec_task(in_project, script="pwd")
    assert run_argv(cmd).stdout == b"/srv/app\n"  # the service's working_dir


def test_piped_stdin_reaches_the_script(in_project):
    _, _, cmd = exec_task(in_project, script='cat; echo "<eof>"')
    assert "-T" in cmd.argv
    data = b"line one\nline two\x00binary\n"
    done = run_argv(cmd, input=data)
    assert done.stdout == data + b"<eof>\n"


def test_stopped_service_refusal_is_explained(in_project):
    task = Task(id="idle:hello", name="hello", component="idle", script="echo hello")
    executor = ContainerExecutor(context(monorepo_of(in_project)))
    done = run_argv(executor.command(task))
    assert done.returncode == 1 and done.stdout == b""
    result = RunResult(exit_code=done.returncode, duration=0.0, log_path=None, stderr_tail=done.stderr)
    with pytest.raises(CannotStart) as err:
        executor.after_failure(task, result)
    assert err.value.message == "the Compose service idle is not running"
    assert "emb up idle" in err.value.hints[0]


def test_non_service_component_lists_services(in_project):
    task = Task(id="lib:build", name="build", component="lib", script="true")
    with pytest.raises(CannotStart) as err:
        ContainerExecutor(context(monorepo_of(in_project))).command(task)
    assert err.value.message == "lib is not a Docker Compose service (services: api, idle, web)"
