"""The compose wrapper and the container executor, without a Docker daemon.

The Compose CLI is replaced by small sh scripts on a private PATH / plugin
dir: they record how often they run, which is what the caching promises are
about. The real thing is exercised in tests/integration/compose.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from emb import compose
from emb.errors import CannotStart, UsageError
from emb.executors import RunContext
from emb.executors import compose as executor
from emb.model import Component, Monorepo, Task


def make_exe(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def monorepo_at(root: Path, components=("api", "web")) -> Monorepo:
    return Monorepo(
        name="demo", root=root, config_file=root / ".emb.yml", flavor=None,
        components={c: Component(name=c, root_dir=root / c, rel_dir=c) for c in components},
        tasks={},
    )


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No real docker on PATH, no COMPOSE_* settings, a private docker config dir."""
    for key in list(os.environ):
        if key.startswith(("COMPOSE_", "DOCKER_")):
            monkeypatch.delenv(key)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))  # the fakes use sh builtins only
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.setattr(compose, "SYSTEM_PLUGIN_DIRS", ())
    compose.clear_caches()
    yield SimpleNamespace(bin=bindir, plugins=tmp_path / "docker-config" / "cli-plugins", tmp=tmp_path)
    compose.clear_caches()


FAKE_COMPOSE = """\
echo "$*" >> "{calls}"
case "$1" in
  config) printf 'api\\nworker\\n' ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac
"""


@pytest.fixture
def fake_plugin(clean_env):
    """A docker CLI and a compose plugin that answers `config --services` and logs each call."""
    calls = clean_env.tmp / "calls.log"
    make_exe(clean_env.bin / "docker", "exit 0\n")
    plugin = make_exe(clean_env.plugins / "docker-compose", FAKE_COMPOSE.format(calls=calls))
    clean_env.calls = calls
    clean_env.plugin = plugin
    return clean_env


def call_count(env) -> int:
    return len(env.calls.read_text().splitlines()) if env.calls.exists() else 0


# --- which binary ----------------------------------------------------------------

def test_plugin_next_to_docker_is_run_directly(fake_plugin):
    assert compose.compose_argv() == (str(fake_plugin.plugin),)
    assert compose.display_name(compose.compose_argv()) == "docker compose"


def test_plugin_in_cli_plugins_extra_dirs_is_found(clean_env):
    make_exe(clean_env.bin / "docker", "exit 0\n")
    extra = clean_env.tmp / "extra-plugins"
    plugin = make_exe(extra / "docker-compose", "exit 0\n")
    (clean_env.tmp / "docker-config").mkdir(parents=True, exist_ok=True)
    (clean_env.tmp / "docker-config" / "config.json").write_text(f'{{"cliPluginsExtraDirs": ["{extra}"]}}')
    assert compose.compose_argv() == (str(plugin),)


def test_unknown_plugin_location_asks_docker_compose_version(clean_env):
    make_exe(clean_env.bin / "docker", '[ "$1 $2" = "compose version" ] && exit 0; exit 1\n')
    assert compose.compose_argv() == ("docker", "compose")


def test_standalone_docker_compose_when_the_plugin_is_missing(clean_env):
    make_exe(clean_env.bin / "docker", "exit 1\n")  # `docker compose version` fails
    make_exe(clean_env.bin / "docker-compose", "exit 0\n")
    assert compose.compose_argv() == ("docker-compose",)
    assert compose.display_name(compose.compose_argv()) == "docker-compose"


def test_docker_without_any_compose_is_a_clear_error(clean_env):
    make_exe(clean_env.bin / "docker", "exit 1\n")
    with pytest.raises(CannotStart) as err:
        compose.compose_argv()
    assert "neither the `docker compose` plugin nor `docker-compose`" in err.value.message
    assert err.value.exit_code == 125


def test_no_docker_cli_at_all_is_a_clear_error(clean_env):
    # A plugin without the docker CLI does not count: `docker` itself is missing.
    make_exe(clean_env.plugins / "docker-compose", "exit 0\n")
    with pytest.raises(CannotStart) as err:
        compose.compose_argv()
    assert "docker CLI is not installed" in err.value.message
    assert err.value.hints


# --- which compose files -------------------------------------------------------------

@pytest.mark.parametrize("name", compose.COMPOSE_FILE_NAMES)
def test_each_default_compose_file_name_applies(clean_env, tmp_path, name):
    root = tmp_path / "repo"
    root.mkdir()
    assert not compose.compose_file_applies(root, {})
    (root / name).write_text("services: {}\n")
    assert compose.compose_file_applies(root, {})


def test_compose_file_from_environment_or_dotenv_applies(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    assert compose.compose_file_applies(root, {"COMPOSE_FILE": "deploy/stack.yml"})
    (root / ".env").write_text("# settings\nexport COMPOSE_FILE=deploy/stack.yml\n")
    assert compose.compose_file_applies(root, {})
    (root / ".env").write_text("# COMPOSE_FILE=nope\nOTHER=1\n")
    assert not compose.compose_file_applies(root, {})


def test_cache_key_changes_with_files_and_compose_env(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    f = root / "compose.yaml"
    f.write_text("services: {a: {image: x}}\n")
    base = compose.services_cache_key(root, ["dc"], {})
    assert compose.services_cache_key(root, ["dc"], {"HOME": "/x"}) == base  # unrelated env
    assert compose.services_cache_key(root, ["dc"], {"COMPOSE_PROFILES": "tools"}) != base
    assert compose.services_cache_key(root, ["docker-compose"], {}) != base
    (root / "compose.override.yaml").write_text("services: {b: {image: x}}\n")
    with_override = compose.services_cache_key(root, ["dc"], {})
    assert with_override != base
    f.write_text("services: {a: {image: x}, c: {image: y}}\n")  # size changes
    assert compose.services_cache_key(root, ["dc"], {}) != with_override
    other = root / "other.yml"
    other.write_text("services: {}\n")
    k1 = compose.services_cache_key(root, ["dc"], {"COMPOSE_FILE": "other.yml"})
    os.utime(other, ns=(1, 1))
    assert compose.services_cache_key(root, ["dc"], {"COMPOSE_FILE": "other.yml"}) != k1


# --- compose_services ------------------------------------------------------------------

def test_no_compose_file_means_no_services_and_no_docker_call(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    assert compose.compose_services(repo) == frozenset()
    assert call_count(fake_plugin) == 0


def test_missing_docker_means_no_services(clean_env, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {}\n")
    assert compose.compose_services(repo) == frozenset()


def test_services_cached_within_and_across_invocations(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {api: {image: x}}\n")
    assert compose.compose_services(repo) == {"api", "worker"}
    assert compose.compose_services(repo) == {"api", "worker"}
    assert call_count(fake_plugin) == 1
    assert fake_plugin.calls.read_text().strip() == "config --services"
    assert (repo.state_dir / "cache" / "compose-services.json").is_file()

    compose.clear_caches()  # a new emb invocation: answered from disk
    assert compose.compose_services(repo) == {"api", "worker"}
    assert call_count(fake_plugin) == 1

    compose.clear_caches()
    (repo.root / "compose.yaml").write_text("services: {api: {image: x}, worker: {image: x}}\n")
    assert compose.compose_services(repo) == {"api", "worker"}
    assert call_count(fake_plugin) == 2  # the file changed: asked again


def test_services_runs_in_the_monorepo_root(fake_plugin, tmp_path):
    make_exe(fake_plugin.plugin, 'pwd > "{}"; echo api\n'.format(tmp_path / "cwd"))
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {}\n")
    assert compose.compose_services(repo) == {"api"}
    assert Path((tmp_path / "cwd").read_text().strip()) == repo.root


def test_rejected_compose_config_is_an_error_not_an_empty_set(fake_plugin, tmp_path):
    make_exe(fake_plugin.plugin, "echo 'yaml: line 1: did not find expected node content' >&2; exit 1\n")
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: [\n")
    with pytest.raises(CannotStart) as err:
        compose.compose_services(repo)
    assert "did not find expected node content" in err.value.message
    assert not (repo.state_dir / "cache" / "compose-services.json").exists()


def test_ps_json_lines_and_array_are_both_read(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    make_exe(fake_plugin.plugin, """printf '%s\\n' '{"Service":"api","State":"running"}' '{"Service":"web","State":"exited"}'\n""")
    assert [r["Service"] for r in compose.containers(repo)] == ["api", "web"]
    make_exe(fake_plugin.plugin, """echo '[{"Service":"api","State":"running"}]'\n""")
    assert [r["State"] for r in compose.containers(repo)] == ["running"]


# --- error classification ----------------------------------------------------------------

def test_daemon_not_reachable_is_classified(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/nowhere.sock")
    err = compose.classify_failure(
        "Cannot connect to the Docker daemon at unix:///tmp/nowhere.sock. Is the docker daemon running?\n")
    assert err.exit_code == 125
    assert "not reachable at unix:///tmp/nowhere.sock" in err.message
    assert any("docker context" in h for h in err.hints)


def test_no_configuration_file_is_classified(tmp_path):
    err = compose.classify_failure("no configuration file provided: not found\n", monorepo=monorepo_at(tmp_path))
    assert err.message == f"no Docker Compose file in {tmp_path}"
    assert any("COMPOSE_FILE" in h for h in err.hints)


def test_no_such_service_lists_the_services():
    err = compose.classify_failure("no such service: db\n", services=["web", "api"])
    assert err.message == "db is not a Docker Compose service (services: api, web)"


def test_unknown_failures_are_not_classified():
    assert compose.classify_failure("something else broke\n") is None


# --- the executor's command line -------------------------------------------------------

@pytest.fixture
def repo_with_services(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {}\n")
    return repo


def ctx_for(repo, **kw) -> RunContext:
    return RunContext(monorepo=repo, **kw)


def test_exec_argv_with_vars_and_workdir(repo_with_services, fake_plugin):
    task = Task(
        id="api:migrate", name="migrate", component="api", script="echo \"$A\" | wc -c",
        vars={"A": "it's $HOME \"q\" \\ `x`\nline2", "EMPTY": ""}, workdir="/srv/app dir",
    )
    cmd = executor.command(task, ctx_for(repo_with_services))
    assert cmd.argv == (
        str(fake_plugin.plugin), "exec", "-T",
        "-e", "A=it's $HOME \"q\" \\ `x`\nline2", "-e", "EMPTY=",
        "-w", "/srv/app dir", "api", "sh", "-c", "echo \"$A\" | wc -c",
    )
    assert cmd.tty is False
    assert cmd.cwd == repo_with_services.root
    assert cmd.details["service"] == "api"


@pytest.mark.parametrize(
    "interactive,stdin_tty,stdout_tty,tty",
    [(True, True, True, True), (True, False, True, False), (True, True, False, False), (False, True, True, False)],
)
def test_tty_only_for_interactive_tasks_on_a_terminal(repo_with_services, interactive, stdin_tty, stdout_tty, tty):
    task = Task(id="api:console", name="console", component="api", script="sh", interactive=interactive)
    cmd = executor.command(task, ctx_for(repo_with_services, stdin_tty=stdin_tty, stdout_tty=stdout_tty))
    assert cmd.tty is tty
    assert ("-T" in cmd.argv) is (not tty)


def test_component_that_is_not_a_service_lists_the_services(repo_with_services):
    task = Task(id="web:build", name="build", component="web", script="true")
    with pytest.raises(CannotStart) as err:
        executor.command(task, ctx_for(repo_with_services))
    assert err.value.message == "web is not a Docker Compose service (services: api, worker)"
    assert err.value.exit_code == 125


def test_no_compose_file_is_a_clear_error(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    task = Task(id="api:t", name="t", component="api", script="true")
    with pytest.raises(CannotStart) as err:
        executor.command(task, ctx_for(repo))
    assert err.value.message.startswith("no Docker Compose file in ")
    assert call_count(fake_plugin) == 0


def test_missing_docker_is_reported_by_the_executor(clean_env, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {}\n")
    task = Task(id="api:t", name="t", component="api", script="true")
    with pytest.raises(CannotStart) as err:
        executor.command(task, ctx_for(repo))
    assert "docker CLI is not installed" in err.value.message


def test_project_task_cannot_use_the_container_executor(repo_with_services):
    with pytest.raises(UsageError):
        executor.command(Task(id="lint", name="lint", script="true"), ctx_for(repo_with_services))


# --- explaining compose's refusal after the run ------------------------------------------

def result(exit_code, tail):
    return SimpleNamespace(exit_code=exit_code, stderr_tail=tail, duration=0.1, log_path=None)


def test_stopped_service_becomes_emb_error_with_up_hint(repo_with_services):
    task = Task(id="api:t", name="t", component="api", script="true")
    with pytest.raises(CannotStart) as err:
        executor.retry_command(task, ctx_for(repo_with_services), result(1, 'service "api" is not running\n'))
    assert err.value.message == "the Compose service api is not running"
    assert err.value.hints == ("start it with: emb up api",)


def test_task_failures_are_left_alone(repo_with_services):
    task = Task(id="api:t", name="t", component="api", script="true")
    ctx = ctx_for(repo_with_services)
    # The task's own exit code 1 with other output, or the message not last, or another code.
    assert executor.retry_command(task, ctx, result(1, "boom\n")) is None
    assert executor.retry_command(task, ctx, result(1, 'service "api" is not running\nthen more\n')) is None
    assert executor.retry_command(task, ctx, result(7, 'service "api" is not running\n')) is None
    assert executor.retry_command(task, ctx, result(1, 'service "web" is not running\n')) is None


def test_daemon_unreachable_during_exec_becomes_emb_error(repo_with_services):
    task = Task(id="api:t", name="t", component="api", script="true")
    tail = b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    with pytest.raises(CannotStart) as err:
        executor.retry_command(task, ctx_for(repo_with_services), result(1, tail))
    assert "not reachable" in err.value.message
