"""The Compose wrapper (emb.docker.compose), without a Docker daemon.

The Compose CLI is replaced by small sh scripts on a private PATH / plugin
dir (tests/unit/fakes.py): they record how often they run, which is what
the caching promises are about. The real thing is exercised in
tests/integration/compose.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from emb import state
from emb.docker import compose
from emb.errors import CannotStart
from tests.builders import monorepo
from tests.unit.fakes import call_count, make_exe


def monorepo_at(root: Path, components=("api", "web")):
    return monorepo(root, components=components)


def services_file(repo) -> Path:
    return state.flavor_dir(repo.root, repo.flavor) / "cache" / "compose-services.json"


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
    assert call_count(fake_plugin.calls) == 0


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
    assert call_count(fake_plugin.calls) == 1
    assert fake_plugin.calls.read_text().strip() == "config --services"
    assert services_file(repo).is_file()
    # Signed (a MAC under the user's key, then the JSON): a repository cannot plant one.
    assert json.loads(services_file(repo).read_bytes()[32:])["value"] == ["api", "worker"]

    compose.clear_caches()  # a new emb invocation: answered from disk
    assert compose.compose_services(repo) == {"api", "worker"}
    assert call_count(fake_plugin.calls) == 1

    compose.clear_caches()
    (repo.root / "compose.yaml").write_text("services: {api: {image: x}, worker: {image: x}}\n")
    assert compose.compose_services(repo) == {"api", "worker"}
    assert call_count(fake_plugin.calls) == 2  # the file changed: asked again


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
    assert not services_file(repo).exists()


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


def test_a_planted_service_list_is_not_trusted(fake_plugin, tmp_path):
    repo = monorepo_at(tmp_path / "repo")
    repo.root.mkdir()
    (repo.root / "compose.yaml").write_text("services: {api: {image: x}}\n")
    compose.compose_services(repo)
    key = json.loads(services_file(repo).read_bytes()[32:])["key"]
    services_file(repo).write_text(json.dumps({"key": key, "value": ["evil"]}))  # as a repository would commit it
    compose.clear_caches()
    assert compose.compose_services(repo) == {"api", "worker"}
    assert call_count(fake_plugin.calls) == 2
