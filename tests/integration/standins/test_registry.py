"""The `registry` fixtures, driven with the real docker CLI (push, login, pull).

Also pins what docker prints when a publish goes wrong, for emb's own messages
(tests.integration.registry.DOCKER_MESSAGES). Printed with `pytest -s`; with
docker CLI 28.2.2 and daemon 20.10.24 (Debian's docker.io) every case exits 1
and stderr is exactly one line (the push progress goes to stdout):

    push without a login to the htpasswd registry:
        no basic auth credentials
    login with a wrong password:
        Error response from daemon: login attempt to http://127.0.0.1:PORT/v2/ failed
        with status: 401 Unauthorized
    push to a loopback port where nothing listens:
        Get "http://127.0.0.1:PORT/v2/": dial tcp 127.0.0.1:PORT: connect: connection refused
    pull of a tag that does not exist:
        Error response from daemon: manifest for 127.0.0.1:PORT/REPO:TAG not found:
        manifest unknown: manifest unknown

(A push to a non-loopback registry that expects HTTPS cannot be tried offline.)
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.integration.docker_plugin import SESSION_ID
from tests.integration.registry import (DOCKER_MESSAGES, RegistryError, free_port,
                                        start_registry)

pytestmark = pytest.mark.docker  # real Docker daemon


def docker(*args, config=None, input=None, timeout=180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if config is not None:
        env["DOCKER_CONFIG"] = str(config)
    return subprocess.run(["docker", *args], env=env, input=input, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def tagged(busybox_image, request):
    """Tag the test image for a registry: tagged(host, repo, tag) -> reference; untagged after."""
    refs = []

    def tag(host: str, repo: str, version: str = "v1") -> str:
        ref = f"{host}/{repo}:{version}"
        done = docker("tag", busybox_image, ref)
        assert done.returncode == 0, done.stderr
        refs.append(ref)
        return ref

    yield tag
    for ref in refs:
        docker("rmi", ref)


def repo_name(label: str) -> str:
    return f"emb-test/{label}-{SESSION_ID}"


def test_push_to_the_open_registry(registry, tagged, tmp_path):
    repo = repo_name("open")
    ref = tagged(registry.host, repo)
    done = docker("push", ref, config=tmp_path)  # an empty docker config: no credentials
    assert done.returncode == 0, done.stderr
    assert repo in registry.catalog()
    assert registry.tags(repo) == ["v1"]
    ref2 = tagged(registry.host, repo, "v2")
    assert docker("push", ref2, config=tmp_path).returncode == 0
    assert registry.tags(repo) == ["v1", "v2"]


def test_unauthenticated_push_to_the_htpasswd_registry_fails(registry_auth, tagged, tmp_path):
    repo = repo_name("anonymous")
    done = docker("push", tagged(registry_auth.host, repo), config=tmp_path)
    print(f"\npush without a login (exit {done.returncode}):\n{done.stderr}")
    assert done.returncode != 0
    assert DOCKER_MESSAGES["push_unauthenticated"] in done.stderr
    assert repo not in registry_auth.catalog()


def test_login_with_password_on_stdin_then_push(registry_auth, tagged, tmp_path):
    user, password = registry_auth.auth
    login = docker("login", registry_auth.host, "--username", user, "--password-stdin",
                   config=tmp_path, input=password)
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    saved = json.loads((tmp_path / "config.json").read_text())
    assert registry_auth.host in saved["auths"]  # the private config, not ~/.docker
    repo = repo_name("private")
    done = docker("push", tagged(registry_auth.host, repo), config=tmp_path)
    assert done.returncode == 0, done.stderr
    assert registry_auth.tags(repo) == ["v1"]


def test_login_with_a_wrong_password_fails(registry_auth, tmp_path):
    user, _ = registry_auth.auth
    login = docker("login", registry_auth.host, "--username", user, "--password-stdin",
                   config=tmp_path, input="not-the-password")
    print(f"\nlogin with a wrong password (exit {login.returncode}):\n{login.stderr}")
    assert login.returncode != 0
    assert DOCKER_MESSAGES["login_refused"] in login.stderr
    assert not (tmp_path / "config.json").exists() or registry_auth.host not in json.loads(
        (tmp_path / "config.json").read_text()).get("auths", {})


def test_push_to_a_port_where_nothing_listens(tagged, tmp_path):
    host = f"127.0.0.1:{free_port()}"  # bound and released: nothing listens there
    done = docker("push", tagged(host, repo_name("nowhere")), config=tmp_path, timeout=120)
    print(f"\npush to {host} (exit {done.returncode}):\n{done.stderr}")
    assert done.returncode != 0
    assert DOCKER_MESSAGES["push_refused"] in done.stderr


def test_pull_of_a_tag_the_registry_does_not_have(registry, tmp_path):
    done = docker("pull", f"{registry.host}/{repo_name('open')}:no-such-tag", config=tmp_path)
    print(f"\npull of a missing tag (exit {done.returncode}):\n{done.stderr}")
    assert done.returncode != 0
    assert DOCKER_MESSAGES["pull_missing_tag"] in done.stderr


def test_catalog_of_the_htpasswd_registry_needs_its_credentials(registry_auth):
    status, body = registry_auth.request("/v2/")
    assert status == 200
    anonymous = type(registry_auth)(root=registry_auth.root, port=registry_auth.port, auth=None)
    status, body = anonymous.request("/v2/_catalog")
    assert status == 401 and body["errors"][0]["code"] == "UNAUTHORIZED"


def test_a_registry_that_cannot_start_fails_with_its_log(tmp_path):
    with pytest.raises(RegistryError) as caught:
        start_registry(tmp_path / "broken", config_extra="notifications: [unclosed\n")
    assert "exited at start" in str(caught.value)
    assert "configuration error" in str(caught.value)  # the registry's own words


def test_stop_ends_the_registry_and_frees_its_port(tmp_path):
    reg = start_registry(tmp_path / "short-lived")
    assert reg.catalog() == []
    process = reg.process
    reg.stop()
    assert process.poll() is not None
    with pytest.raises(OSError):
        reg.request("/v2/")
