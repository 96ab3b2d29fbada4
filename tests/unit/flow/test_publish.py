"""emb.flow.publish without docker: what is published, in which order, under which reference."""

from __future__ import annotations

import pytest

from emb import redact
from emb.errors import UsageError
from emb.flow import publish
from emb.model import Resource
from tests.builders import monorepo


def repo(defaults=None, **extra):
    res = {
        "base:image": Resource("base:image", "image", "base", "docker/image"),
        "api:image": Resource("api:image", "image", "api", "docker/image", publish=True,
                              dependencies=("base:image",), params={"image": "backend"}),
        "web:image": Resource("web:image", "image", "web", "docker/image", publish=True,
                              params={"tag": "w1", "publish": {"registry": "own.example/team/", "tag": "web-2"}}),
        "notes:todo": Resource("notes:todo", "todo", "notes", "file"),
        **extra,
    }
    return monorepo(components=["base", "api", "web", "notes"], name="shop")._replace(
        resources=res, defaults=defaults or {})


def test_all_publishable_in_dependency_order_with_defaults():
    steps = publish.plan(repo({"docker": {"tag": "v1", "publish": {"registry": "ghcr.io/acme"}}}))
    assert [(s.resource.id, s.source, s.target) for s in steps] == [
        ("api:image", "shop/backend:v1", "ghcr.io/acme/shop/backend:v1"),
        ("web:image", "shop/web:w1", "own.example/team/shop/web:web-2"),
    ]
    assert steps[0].argvs() == [["docker", "image", "tag", "--", "shop/backend:v1", "ghcr.io/acme/shop/backend:v1"],
                                ["docker", "image", "push", "--", "ghcr.io/acme/shop/backend:v1"]]


def test_no_registry_no_tag_pushes_the_built_reference():
    (step,) = publish.plan(repo(), ["api:image"])
    assert step.target == step.source == "shop/backend:latest"
    assert step.argvs() == [["docker", "image", "push", "--", "shop/backend:latest"]]


def test_defaults_tag_only_retags_in_place():
    steps = publish.plan(repo({"docker": {"publish": {"tag": "2.0"}}}))
    assert steps[0].target == "shop/backend:2.0"


def test_a_named_resource_brings_its_publishable_dependencies():
    extra = {"base:image": Resource("base:image", "image", "base", "docker/image", publish=True)}
    assert [s.resource.id for s in publish.plan(repo(**extra), ["api:image"])] == ["base:image", "api:image"]


def test_a_publishable_file_is_refused():
    extra = {"notes:todo": Resource("notes:todo", "todo", "notes", "file", publish=True)}
    with pytest.raises(UsageError, match="resource notes:todo has publish: true, but a file resource cannot"):
        publish.plan(repo(**extra))


def test_images_push_takes_every_image(monkeypatch):
    steps = publish.push_plan(repo(), "127.0.0.1:5000/", "rc1")
    assert [s.target for s in steps] == ["127.0.0.1:5000/shop/base:rc1", "127.0.0.1:5000/shop/backend:rc1",
                                         "127.0.0.1:5000/shop/web:rc1"]


def test_the_password_is_registered_and_never_described(monkeypatch):
    monkeypatch.setenv("DOCKER_USERNAME", "bob")
    monkeypatch.setenv("DOCKER_PASSWORD", "hunter2-secret")
    try:
        creds = publish.credentials()
        assert creds == ("bob", "hunter2-secret")
        assert redact.mask("x hunter2-secret y") == "x *** y"
        lines = publish.describe(publish.plan(repo({"docker": {"publish": {"registry": "r.example"}}})), creds)
        assert lines[:2] == [  # one login per registry pushed to
            "docker login --username=bob --password-stdin -- own.example < (DOCKER_PASSWORD)",
            "docker login --username=bob --password-stdin -- r.example < (DOCKER_PASSWORD)"]
        assert not any("hunter2" in line for line in lines)
    finally:
        redact.forget_all()


def test_docker_hub_login_server(monkeypatch):
    assert publish.login_server("docker.io") == "https://index.docker.io/v1/"
