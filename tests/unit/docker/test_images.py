"""emb.docker.images without a daemon: command lines, parsing docker's output, references,
and registry failures worded for a person (docker's own stderr lines, as pinned by
tests/integration/standins/test_registry.py)."""

from __future__ import annotations

import json

import pytest

from emb.docker import images
from tests.integration.registry import DOCKER_MESSAGES


# --- references --------------------------------------------------------------------------

@pytest.mark.parametrize("ref, registry, tag, want", [
    ("shop/api:v1", None, None, "shop/api:v1"),
    ("shop/api:v1", "ghcr.io/acme", None, "ghcr.io/acme/shop/api:v1"),
    ("shop/api:v1", "ghcr.io/acme", "2.0", "ghcr.io/acme/shop/api:2.0"),
    ("shop/api:v1", None, "rc1", "shop/api:rc1"),
    ("shop/api:v1", "127.0.0.1:5000", None, "127.0.0.1:5000/shop/api:v1"),
])
def test_retarget(ref, registry, tag, want):
    assert images.retarget(ref, registry, tag) == want


def test_split_reference_keeps_a_registry_port():
    assert images.split_reference("127.0.0.1:5000/shop/api:v1") == ("127.0.0.1:5000/shop/api", "v1")
    assert images.split_reference("127.0.0.1:5000/shop/api") == ("127.0.0.1:5000/shop/api", "latest")


@pytest.mark.parametrize("ref, host", [
    ("127.0.0.1:5000/shop/api:v1", "127.0.0.1:5000"),
    ("ghcr.io/acme/shop/api:v1", "ghcr.io"),
    ("localhost/shop/api:v1", "localhost"),
    ("shop/api:v1", "docker.io"),
    ("acme/shop/api:v1", "docker.io"),
])
def test_registry_host(ref, host):
    assert images.registry_host(ref) == host


# --- command lines: repository names never become flags ------------------------------------

def test_names_come_after_double_dash_or_inside_filters():
    assert images.tag_argv("-x/api:v1", "r/-x/api:v1") == ["docker", "image", "tag", "--", "-x/api:v1", "r/-x/api:v1"]
    assert images.push_argv("--help") == ["docker", "image", "push", "--", "--help"]
    assert images.remove_images_argv(["shop/api:v1"], force=True) == [
        "docker", "image", "rm", "--force", "--", "shop/api:v1"]
    assert images.prune_images_argv("--all") == [
        "docker", "image", "prune", "--force", "--filter", "label=emb/project=--all"]
    assert images.login_argv("127.0.0.1:5000", "bob") == [
        "docker", "login", "--username=bob", "--password-stdin", "--", "127.0.0.1:5000"]
    argv = images.list_containers_argv("shop", all_containers=True)
    assert argv[:4] == ["docker", "container", "ls", "--all"]
    assert "label=com.docker.compose.project=shop" in argv
    assert images.prune_containers_argv("shop") == [
        "docker", "container", "prune", "--force", "--filter", "label=com.docker.compose.project=shop"]


def test_no_password_in_any_command_line():
    assert all("secret" not in a for a in images.login_argv("r.example", "bob"))


# --- parsing -------------------------------------------------------------------------------

def _ls(*rows):
    return "\n".join(json.dumps({"Repository": r, "Tag": t, "ID": i}) for r, t, i in rows) + "\n"


LISTING = _ls(("shop/web", "v1", "bbbbbbbbbbbb"), ("shop/api", "v1", "aaaaaaaaaaaa"),
              ("127.0.0.1:5000/shop/api", "v1", "aaaaaaaaaaaa"), ("<none>", "<none>", "cccccccccccc"),
              ("shopping/api", "v1", "dddddddddddd"), ("acme/shop/api", "v1", "eeeeeeeeeeee"))


def test_image_rows_are_the_projects_references_only():
    rows = images.image_rows(LISTING, "shop")
    assert [r.reference for r in rows] == ["shop/api:v1", "shop/web:v1"]


def test_image_rows_for_deleting_include_the_registry_tags():
    rows = images.image_rows(LISTING, "shop", retags=True)
    assert [r.reference for r in rows] == ["127.0.0.1:5000/shop/api:v1", "shop/api:v1", "shop/web:v1"]


def test_image_rows_all_adds_the_untagged_ones():
    rows = images.image_rows(LISTING, "shop", all_images=True)
    assert [r.id for r in rows][-1] == "cccccccccccc"
    assert rows[-1].reference is None


def test_image_items_use_emb030_names():
    rows = images.image_rows(LISTING, "shop", retags=True)
    inspected = [{"Id": "sha256:" + "a" * 64, "Created": "2026-12-01T19:34:08.123456789Z", "Size": 1985000},
                 {"Id": "sha256:" + "b" * 64, "Created": "2026-12-01T20:00:00+01:00", "Size": 7}]
    items = images.image_items(rows, inspected)
    assert items[1] == {"name": "shop/api", "tag": "v1", "imageId": "aaaaaaaaaaaa",
                        "created": "2026-12-01T19:34:08.123Z", "size": 1985000}
    assert items[2]["created"] == "2026-12-01T19:00:00.000Z"


def test_iso_time_of_dockers_listing_format():
    assert images.iso_time("2026-12-01 19:34:08 +0000 UTC") == "2026-12-01T19:34:08.000Z"
    assert images.iso_time("") == ""
    assert images.iso_time("yesterday") == "yesterday"


def test_container_items():
    line = json.dumps({"id": "0123456789abcdef", "name": "shop-api-1", "image": "shop/api:v1",
                       "command": '"sh -c \'sleep 1\'"', "created": "2026-12-01 19:34:08 +0000 UTC",
                       "status": "Up 2 minutes", "state": "running", "ports": "", "service": "api"})
    assert images.container_items(line + "\nnot json\n") == [{
        "id": "0123456789ab", "name": "shop-api-1", "image": "shop/api:v1", "command": "sh -c 'sleep 1'",
        "created": "2026-12-01T19:34:08.000Z", "status": "Up 2 minutes", "ports": "", "service": "api"}]


# --- registry errors ---------------------------------------------------------------------

REF = "127.0.0.1:5000/shop/api:v1"


def test_unauthenticated_push_suggests_docker_login():
    err = images.registry_error(DOCKER_MESSAGES["push_unauthenticated"] + "\n", REF)
    assert err.message == f"the registry 127.0.0.1:5000 refused the push of {REF}: unauthorized"
    assert "log in first: docker login 127.0.0.1:5000" in err.hints
    assert err.exit_code == 1
    err = images.registry_error("denied: requested access to the resource is denied", "shop/api:v1")
    assert "log in first: docker login" in err.hints


def test_refused_connection_says_unreachable():
    stderr = ('Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: '
              f'{DOCKER_MESSAGES["push_refused"].split(": ", 1)[1]}')
    err = images.registry_error(stderr, REF)
    assert err.message == f"the registry 127.0.0.1:5000 is not reachable (pushing {REF})"
    assert err.hints[-1] == f"docker said: {stderr}"


def test_https_to_an_http_registry_hints_at_insecure_registries():
    stderr = ('Get "https://10.0.0.5:5000/v2/": http: server gave HTTP response to HTTPS client')
    err = images.registry_error(stderr, "10.0.0.5:5000/shop/api:v1")
    assert "answers in plain HTTP, but docker expects HTTPS" in err.message
    assert any('"insecure-registries"' in h and "/etc/docker/daemon.json" in h for h in err.hints)


def test_tag_not_found():
    err = images.registry_error("An image does not exist locally with the tag: 127.0.0.1:5000/shop/api", REF)
    assert err.message == f"image {REF} not found"
    err = images.registry_error(f"Error response from daemon: manifest for {REF} not found: "
                                f"{DOCKER_MESSAGES['pull_missing_tag']}: manifest unknown", REF)
    assert err.message == f"image {REF} not found"


def test_an_unknown_failure_keeps_dockers_last_line():
    err = images.registry_error("something\nodd happened\n", REF)
    assert err.message == f"docker push {REF} failed: odd happened"


def test_login_errors():
    err = images.login_error("Error response from daemon: login attempt to http://127.0.0.1:5000/v2/ "
                             f"{DOCKER_MESSAGES['login_refused']}", "127.0.0.1:5000")
    assert err.message == ("the registry 127.0.0.1:5000 refused the login of DOCKER_USERNAME: "
                           "wrong username or password")
    err = images.login_error("dial tcp 127.0.0.1:9: connect: connection refused", "127.0.0.1:9")
    assert err.message == "the registry 127.0.0.1:9 is not reachable (logging in)"
