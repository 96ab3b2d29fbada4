"""Resource references, the dependency closure and its order (emb.resources + emb.graph)."""

from __future__ import annotations

import pytest

from emb import resources as res
from emb.errors import ConfigError, UsageError
from emb.model import Resource
from tests.builders import monorepo, task


def repo_with(*resources: Resource, tasks=()):
    comps = sorted({r.component for r in resources} | {t.component for t in tasks if t.component})
    repo = monorepo(components=comps, tasks=tasks)
    return repo._replace(resources={r.id: r for r in resources})


def image(rid: str, *deps: str, **fields) -> Resource:
    component, _, name = rid.partition(":")
    return Resource(id=rid, name=name, component=component, type="docker/image", dependencies=deps, **fields)


def test_the_closure_comes_in_dependency_order_each_once():
    repo = repo_with(image("app:image", "lib:image"), image("lib:image", "base:image"), image("base:image"),
                     image("web:image", "base:image"))
    order, deps = res.build_order(repo, ["app:image", "web:image"])
    assert order == ["base:image", "lib:image", "app:image", "web:image"]
    assert deps["app:image"] == ["lib:image"]
    order, _ = res.build_order(repo, ["lib:image"])
    assert order == ["base:image", "lib:image"]


def test_a_cycle_is_reported_with_its_path():
    repo = repo_with(image("a:image", "b:image"), image("b:image", "c:image"), image("c:image", "a:image"))
    with pytest.raises(ConfigError) as err:
        res.build_order(repo, ["a:image"])
    assert "the resources' `dependencies` form a cycle:" in err.value.message
    path = err.value.message.split(": ", 1)[1].split(" -> ")
    assert path[0] == path[-1] and set(path) == {"a:image", "b:image", "c:image"}


def test_a_unique_name_resolves_an_ambiguous_one_lists_the_candidates():
    repo = repo_with(image("api:image"), image("web:image"),
                     Resource(id="api:keystore.jks", name="keystore.jks", component="api", type="file"))
    assert res.resolve(repo, "keystore.jks", owner="x") == "api:keystore.jks"
    with pytest.raises(ConfigError) as err:
        res.resolve(repo, "image", owner="resource app:image: `dependencies`")
    assert err.value.message == ("resource app:image: `dependencies`: resource 'image' is ambiguous: "
                                 "it matches api:image, web:image")


def test_an_unknown_dependency_suggests_close_matches():
    repo = repo_with(image("base:image"), image("api:image", "base:imgae"))
    with pytest.raises(ConfigError) as err:
        res.build_order(repo, ["api:image"])
    assert err.value.message == "resource api:image: `dependencies`: unknown resource 'base:imgae'"
    assert err.value.hints[0].startswith("did you mean: base:image")


def test_the_command_line_selection_is_a_usage_error_and_publishable_filters():
    repo = repo_with(image("api:image", publish=True), image("web:image"))
    assert res.select(repo) == ["api:image", "web:image"]
    assert res.select(repo, publishable=True) == ["api:image"]
    with pytest.raises(UsageError) as err:
        res.select(repo, ["api"])
    assert err.value.hints == ("api is a component; its resources: api:image",
                               "list the resources with `emb resources`")


def test_a_task_dependency_prefers_its_own_component():
    fixture_api = Resource(id="api:fixture", name="fixture", component="api", type="file")
    fixture_web = Resource(id="web:fixture", name="fixture", component="web", type="file")
    tasks = [task("api:test", script="true", dependencies=("fixture",)),
             task("check", script="true", dependencies=("web:fixture",))]
    repo = repo_with(fixture_api, fixture_web, tasks=tasks)
    assert res.task_resources(repo, tasks) == ["api:fixture", "web:fixture"]
    with pytest.raises(ConfigError):
        res.task_resources(repo, [task("lint", script="true", dependencies=("fixture",))])


def test_the_rebuild_trigger_precedence_is_resource_then_flavor_then_auto():
    from emb.resources import params

    plain = image("api:image")
    always = image("web:image", rebuild_trigger={"strategy": "always"})
    repo = repo_with(plain, always)
    assert params.rebuild_trigger(repo, plain) == ({"strategy": "auto"}, "builtin")
    flavored = repo._replace(rebuild_policy={"docker/image": {"strategy": "watch-paths", "paths": ["x"]}})
    assert params.rebuild_trigger(flavored, plain) == ({"strategy": "watch-paths", "paths": ["x"]}, "flavor")
    assert params.rebuild_trigger(flavored, always) == ({"strategy": "always"}, "resource")
