"""`emb resources publish` and `emb images push` against a real registry (Debian's docker-registry).

What is pushed (and what is not), dry runs, credentials from DOCKER_USERNAME /
DOCKER_PASSWORD (with a private docker config, the password never shown),
and each registry failure worded for a person.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.publish.conftest import docker
from tests.integration.registry import free_port

pytestmark = pytest.mark.docker  # real Docker daemon + a real registry


def test_dry_run_prints_the_tag_and_push_lines_and_pushes_nothing(publish_repo, registry):
    repo = publish_repo
    repo.build()
    done = repo.emb("resources", "publish", "--dry-run", env={"REGISTRY_HOST": registry.host})
    assert done.returncode == 0, done.stderr
    n, h = repo.name, registry.host
    assert done.stdout.splitlines() == [
        f"docker image tag -- {n}/api:v1 {h}/{n}/api:v1",
        f"docker image push -- {h}/{n}/api:v1",
        f"docker image tag -- {n}/web:v1 {h}/{n}/web:web-2",
        f"docker image push -- {h}/{n}/web:web-2",
    ]
    assert not [r for r in registry.catalog() if r.startswith(n)]
    # and nothing was tagged either
    assert docker("image", "inspect", f"{h}/{n}/api:v1").returncode != 0

    done = repo.emb("resources", "publish", "--dry-run", "--json", env={"REGISTRY_HOST": h})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data) == ["api:image", "web:image"]
    assert data["api:image"]["reference"] == f"{h}/{n}/api:v1"
    assert data["api:image"]["skipped"] is True and data["api:image"]["skipReason"] == "dry run"
    assert data["web:image"]["resource"]["id"] == "web:image"


def test_publish_pushes_only_the_publishable_images(publish_repo, registry):
    repo = publish_repo
    repo.build()
    done = repo.emb("resources", "publish", env={"REGISTRY_HOST": registry.host})
    assert done.returncode == 0, done.stderr
    n = repo.name
    assert sorted(r for r in registry.catalog() if r.startswith(n)) == [f"{n}/api", f"{n}/web"]
    assert registry.tags(f"{n}/api") == ["v1"]
    assert registry.tags(f"{n}/web") == ["web-2"]
    assert f"publishing api:image -> {registry.host}/{n}/api:v1" in done.stderr
    assert done.stderr.index("api:image") < done.stderr.index("web:image")


def test_publish_named_resources(publish_repo, registry):
    repo = publish_repo
    repo.build()
    # web by its unique name would be ambiguous (api, base, web, worker all have `image`): by id
    done = repo.emb("resources", "publish", "web:image", "--json", env={"REGISTRY_HOST": registry.host})
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)) == ["web:image"]
    n = repo.name
    assert [r for r in registry.catalog() if r.startswith(n)] == [f"{n}/web"]
    # a non-publishable resource named: its publishable dependencies only (none here): nothing
    done = repo.emb("resources", "publish", "worker:image", "--json", env={"REGISTRY_HOST": registry.host})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}


def test_an_ambiguous_or_unknown_name_is_a_usage_error(publish_repo):
    done = publish_repo.emb("resources", "publish", "image")
    assert done.returncode == 2
    assert ("emb resources publish: resource 'image' is ambiguous: it matches base:image, api:image, "
            "web:image, worker:image") in done.stderr
    done = publish_repo.emb("resources", "publish", "nope")
    assert done.returncode == 2
    assert "emb resources publish: unknown resource 'nope'" in done.stderr


def test_publishing_builds_nothing(publish_repo, registry):
    repo = publish_repo
    repo.build("api")  # web is not built
    done = repo.emb("resources", "publish", env={"REGISTRY_HOST": registry.host})
    assert done.returncode == 1
    assert f"emb: error: not built yet: {repo.name}/web:v1 (publishing builds nothing)" in done.stderr
    assert not [r for r in registry.catalog() if r.startswith(repo.name)]
    assert docker("image", "inspect", f"{repo.name}/web:v1").returncode != 0


def test_without_a_registry_the_built_reference_is_pushed_as_is(publish_repo):
    repo = publish_repo
    done = repo.emb("resources", "publish", "--dry-run", "api:image")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"docker image push -- {repo.name}/api:v1"]


def test_unauthenticated_push_says_docker_login(publish_repo, registry_auth, tmp_path):
    repo = publish_repo
    repo.build("api", "web")
    done = repo.emb("resources", "publish", env={"REGISTRY_HOST": registry_auth.host,
                                                 "DOCKER_CONFIG": str(tmp_path / "empty-config")})
    assert done.returncode == 1
    h = registry_auth.host
    assert f"emb: error: the registry {h} refused the push of {h}/{repo.name}/api:v1: unauthorized" in done.stderr
    assert f"hint: log in first: docker login {h}" in done.stderr
    assert "Traceback" not in done.stderr


def test_credentials_from_the_environment_use_a_private_config(publish_repo, registry_auth, tmp_path):
    repo = publish_repo
    repo.build("api", "web")
    user, password = registry_auth.auth
    own_config = tmp_path / "own-config"
    own_config.mkdir()
    (own_config / "config.json").write_text("{}")
    done = repo.emb("--verbose", "resources", "publish",
                    env={"REGISTRY_HOST": registry_auth.host, "DOCKER_CONFIG": str(own_config),
                         "DOCKER_USERNAME": user, "DOCKER_PASSWORD": password})
    assert done.returncode == 0, done.stderr
    assert registry_auth.tags(f"{repo.name}/api") == ["v1"]
    assert registry_auth.tags(f"{repo.name}/web") == ["web-2"]
    assert password not in done.stdout + done.stderr
    # the user's docker config did not receive the login
    assert json.loads((own_config / "config.json").read_text()) == {}
    # --dry-run shows the login, never the password
    done = repo.emb("resources", "publish", "--dry-run",
                    env={"REGISTRY_HOST": registry_auth.host, "DOCKER_USERNAME": user, "DOCKER_PASSWORD": password})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"docker login --username={user} --password-stdin -- {registry_auth.host} < (DOCKER_PASSWORD)")
    assert password not in done.stdout + done.stderr


def test_a_wrong_password_is_refused_without_showing_it(publish_repo, registry_auth):
    repo = publish_repo
    repo.build("api", "web")
    user, _ = registry_auth.auth
    wrong = "not-the-password-4711"
    done = repo.emb("resources", "publish", env={"REGISTRY_HOST": registry_auth.host,
                                                 "DOCKER_USERNAME": user, "DOCKER_PASSWORD": wrong})
    assert done.returncode == 1
    assert (f"emb: error: the registry {registry_auth.host} refused the login of DOCKER_USERNAME: "
            "wrong username or password") in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert not registry_auth.tags(f"{repo.name}/api")


def test_an_unreachable_registry(publish_repo):
    repo = publish_repo
    repo.build("api", "web")
    host = f"127.0.0.1:{free_port()}"
    done = repo.emb("resources", "publish", env={"REGISTRY_HOST": host})
    assert done.returncode == 1
    assert f"emb: error: the registry {host} is not reachable (pushing {host}/{repo.name}/api:v1)" in done.stderr
    assert "connect: connection refused" in done.stderr  # docker's own words, as a hint
    docker("image", "rm", f"{host}/{repo.name}/api:v1")


def test_images_push_with_registry_and_retag(publish_repo, registry):
    repo = publish_repo
    repo.build()
    done = repo.emb("images", "push", "--registry", registry.host, "--retag", "rc1")
    assert done.returncode == 0, done.stderr
    n = repo.name
    assert sorted(r for r in registry.catalog() if r.startswith(n)) == [
        f"{n}/{c}" for c in ("api", "base", "web", "worker")]
    assert registry.tags(f"{n}/worker") == ["rc1"]


def test_the_password_is_masked_in_any_error(publish_repo):
    secret = "pa55-in-a-name"
    done = publish_repo.emb("resources", "publish", f"api:{secret}", env={"DOCKER_PASSWORD": secret})
    assert done.returncode == 2
    assert "unknown resource 'api:***'" in done.stderr
    assert secret not in done.stderr


def test_after_publishing_images_lists_the_built_names_and_clean_removes_the_registry_tags(
        publish_repo, registry):
    repo = publish_repo
    repo.build("api", "web")
    assert repo.emb("resources", "publish", env={"REGISTRY_HOST": registry.host}).returncode == 0
    items = json.loads(repo.emb("images", "--json").stdout)
    assert [(i["name"], i["tag"]) for i in items] == [(f"{repo.name}/api", "v1"), (f"{repo.name}/web", "v1")]
    pushed = f"{registry.host}/{repo.name}/web:web-2"
    assert docker("image", "inspect", pushed).returncode == 0

    done = repo.emb("clean", "--dry-run")  # no compose file: images and .emb/ only
    assert done.returncode == 0, done.stderr
    assert f"docker image rm -- {registry.host}/{repo.name}/api:v1 {pushed} {repo.name}/api:v1 " \
           f"{repo.name}/web:v1" in done.stdout
    done = repo.emb("clean")
    assert done.returncode == 0, done.stderr
    assert docker("image", "inspect", pushed).returncode != 0
    assert docker("image", "ls", "-q", "--filter", f"label=emb/project={repo.name}").stdout.strip() == ""
