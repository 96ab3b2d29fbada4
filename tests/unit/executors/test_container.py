"""The container executor (emb.executors.container), without a Docker daemon:
its command line, and what it makes of Compose's refusals after a run.

Compose is the fake plugin of tests/unit/fakes.py; the real thing is
exercised in tests/integration/compose.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emb.errors import CannotStart, UsageError
from emb.executors import RunContext
from emb.executors.container import ContainerExecutor
from emb.executors.script import script_argv
from emb.model import Task
from emb.process.command import RunResult
from tests.builders import context, monorepo
from tests.unit.fakes import call_count


def monorepo_at(root: Path, components=("api", "web")):
    return monorepo(root, components=components)


def command(task: Task, ctx: RunContext):
    return ContainerExecutor(ctx).command(task)


# --- the executor's command line -------------------------------------------------------

@pytest.fixture
def repo_with_services(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {}\n")
    return repo


def ctx_for(repo, **kw) -> RunContext:
    return context(repo, **kw)


def test_exec_argv_with_vars_and_workdir(repo_with_services, fake_plugin):
    task = Task(
        id="api:migrate", name="migrate", component="api", script="echo \"$A\" | wc -c",
        vars={"A": "it's $HOME \"q\" \\ `x`\nline2", "EMPTY": ""}, workdir="/srv/app dir",
    )
    cmd = command(task, ctx_for(repo_with_services))
    assert cmd.argv == (
        str(fake_plugin.plugin), "exec", "-T",
        "-e", "A", "-e", "EMPTY",
        "-w", "/srv/app dir", "api", *script_argv("echo \"$A\" | wc -c"),
    )
    # The values go through compose's environment, never on its command line (ps shows those).
    assert dict(cmd.env) == {"A": "it's $HOME \"q\" \\ `x`\nline2", "EMPTY": ""}
    assert cmd.tool is True
    assert cmd.tty is False
    assert cmd.cwd == repo_with_services.root
    assert cmd.details["service"] == "api"


def test_vars_named_like_tool_variables_stay_on_the_command_line(repo_with_services, fake_plugin):
    # compose's own PATH must stay the one emb was started with (it finds credential helpers on it)
    task = Task(id="api:t", name="t", component="api", script="true", vars={"PATH": "/opt/bin", "TOKEN": "s3cret"})
    cmd = command(task, ctx_for(repo_with_services))
    assert "PATH=/opt/bin" in cmd.argv and "s3cret" not in " ".join(cmd.argv)
    assert dict(cmd.env) == {"TOKEN": "s3cret"}


@pytest.mark.parametrize(
    "interactive,stdin_tty,stdout_tty,tty",
    [(True, True, True, True), (True, False, True, False), (True, True, False, False), (False, True, True, False)],
)
def test_tty_only_for_interactive_tasks_on_a_terminal(repo_with_services, interactive, stdin_tty, stdout_tty, tty):
    task = Task(id="api:console", name="console", component="api", script="sh", interactive=interactive)
    cmd = command(task, ctx_for(repo_with_services, stdin_tty=stdin_tty, stdout_tty=stdout_tty))
    assert cmd.tty is tty
    assert ("-T" in cmd.argv) is (not tty)


def test_component_that_is_not_a_service_lists_the_services(repo_with_services):
    task = Task(id="web:build", name="build", component="web", script="true")
    with pytest.raises(CannotStart) as err:
        command(task, ctx_for(repo_with_services))
    assert err.value.message == "web is not a Docker Compose service (services: api, worker)"
    assert err.value.exit_code == 125


def test_no_compose_file_is_a_clear_error(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    task = Task(id="api:t", name="t", component="api", script="true")
    with pytest.raises(CannotStart) as err:
        command(task, ctx_for(repo))
    assert err.value.message.startswith("no Docker Compose file in ")
    assert call_count(fake_plugin.calls) == 0


def test_missing_docker_is_reported_by_the_executor(clean_env, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {}\n")
    task = Task(id="api:t", name="t", component="api", script="true")
    with pytest.raises(CannotStart) as err:
        command(task, ctx_for(repo))
    assert "docker CLI is not installed" in err.value.message


def test_project_task_cannot_use_the_container_executor(repo_with_services):
    with pytest.raises(UsageError):
        command(Task(id="lint", name="lint", script="true"), ctx_for(repo_with_services))


# --- explaining compose's refusal after the run (after_failure) ------------------------------------------

def result(exit_code, tail):
    tail = tail.encode() if isinstance(tail, str) else tail
    return RunResult(exit_code=exit_code, duration=0.1, log_path=Path(os.devnull), stderr_tail=tail)


def test_stopped_service_becomes_emb_error_with_up_hint(repo_with_services):
    task = Task(id="api:t", name="t", component="api", script="true")
    with pytest.raises(CannotStart) as err:
        ContainerExecutor(ctx_for(repo_with_services)).after_failure(task, result(1, 'service "api" is not running\n'))
    assert err.value.message == "the Compose service api is not running"
    assert err.value.hints == ("start it with: emb up api",)


def test_task_failures_are_left_alone(repo_with_services):
    task = Task(id="api:t", name="t", component="api", script="true")
    executor = ContainerExecutor(ctx_for(repo_with_services))
    # The task's own exit code 1 with other output, or the message not last, or another code.
    assert executor.after_failure(task, result(1, "boom\n")) is None
    assert executor.after_failure(task, result(1, 'service "api" is not running\nthen more\n')) is None
    assert executor.after_failure(task, result(7, 'service "api" is not running\n')) is None
    assert executor.after_failure(task, result(1, 'service "web" is not running\n')) is None


def test_daemon_unreachable_during_exec_becomes_emb_error(repo_with_services):
    task = Task(id="api:t", name="t", component="api", script="true")
    tail = b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    with pytest.raises(CannotStart) as err:
        ContainerExecutor(ctx_for(repo_with_services)).after_failure(task, result(1, tail))
    assert "not reachable" in err.value.message
