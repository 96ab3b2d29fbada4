"""The local executor's Command, and what a real `sh` receives from it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from emb.errors import CannotStart
from emb.executors import RunContext
from emb.executors.local import LocalExecutor
from emb.executors.script import script_argv
from emb.model import Monorepo, Task
from tests.builders import context, monorepo


@pytest.fixture
def repo(tmp_path: Path) -> Monorepo:
    repo = monorepo(tmp_path, components={"api": "services/api"}, mkdirs=True)
    (tmp_path / "services" / "api" / "db").mkdir()
    return repo


def ctx(repo: Monorepo, **kw) -> RunContext:
    return context(repo, **kw)


def command(task: Task, ctx: RunContext):
    return LocalExecutor(ctx).command(task)


def test_a_project_task_runs_sh_c_at_the_root(repo):
    cmd = command(Task(id="lint", name="lint", script="make lint"), ctx(repo))
    assert cmd.argv == tuple(script_argv("make lint"))
    assert cmd.cwd == repo.root
    assert cmd.env == {}
    assert cmd.tty is False
    assert cmd.where == "in the project root"


def test_a_component_task_runs_in_the_component_folder_with_its_vars(repo):
    task = Task(id="api:migrate", name="migrate", component="api", script="./migrate", vars={"A": "1", "B": "two"})
    cmd = command(task, ctx(repo))
    assert cmd.cwd == repo.root / "services" / "api"
    assert dict(cmd.env) == {"A": "1", "B": "two"}
    assert cmd.where == "in services/api"
    assert cmd.details["cwd"] == str(repo.root / "services" / "api")


def test_workdir_is_relative_to_the_component(repo):
    task = Task(id="api:db", name="db", component="api", script="ls", workdir="db")
    assert command(task, ctx(repo)).cwd == repo.root / "services" / "api" / "db"


def test_an_absolute_workdir_is_used_as_is(repo, tmp_path):
    task = Task(id="api:db", name="db", component="api", script="ls", workdir=str(tmp_path))
    assert command(task, ctx(repo)).cwd == tmp_path


def test_a_missing_folder_cannot_start(repo):
    task = Task(id="api:x", name="x", component="api", script="ls", workdir="nope")
    with pytest.raises(CannotStart) as caught:
        command(task, ctx(repo))
    assert caught.value.exit_code == 125
    assert "services/api/nope does not exist" in caught.value.message


@pytest.mark.parametrize(
    "interactive,stdin_tty,stdout_tty,tty",
    [
        (True, True, True, True),
        (True, False, True, False),  # piped stdin: no TTY, stdin attached
        (True, True, False, False),  # output captured: no TTY either
        (False, True, True, False),
    ],
)
def test_a_tty_only_for_interactive_tasks_on_a_terminal(repo, interactive, stdin_tty, stdout_tty, tty):
    task = Task(id="console", name="console", script="sh", interactive=interactive)
    assert command(task, ctx(repo, stdin_tty=stdin_tty, stdout_tty=stdout_tty)).tty is tty


SPECIAL = {
    "DOLLAR": "$HOME ${HOME} $(id) `id`",
    "QUOTES": "it's \"quoted\" 'twice'",
    "BACKSLASH": "a\\b\\\\c\\n",
    "SPACES": "  leading and trailing  ",
    "NEWLINES": "line one\nline two\n\n",
    "UNICODE": "héllo wörld ✓ 日本",
    "EMPTY": "",
}


def test_vars_reach_sh_byte_for_byte(repo):
    script = 'for n in DOLLAR QUOTES BACKSLASH SPACES NEWLINES UNICODE EMPTY; do eval "printf %s \\"\\${$n}\\""; printf "\\0"; done'
    cmd = command(Task(id="show", name="show", script=script, vars=SPECIAL), ctx(repo))
    env = {**os.environ, **cmd.env}
    out = subprocess.run(cmd.argv, cwd=cmd.cwd, env=env, capture_output=True, check=True).stdout
    values = out.split(b"\0")[:-1]
    assert values == [v.encode() for v in SPECIAL.values()]
