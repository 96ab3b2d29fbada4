"""docker/image: reference, build input (SPEC §6 defaults), the argv, and the reasons a fingerprint gives."""

from __future__ import annotations

from pathlib import Path

from emb.docker import build as docker_build
from emb.model import Resource
from emb.resources import image
from tests.builders import monorepo


def repo_with(resource: Resource, root="/repo", **defaults):
    repo = monorepo(root, components={"api": "services/api"}, name="acme")
    return repo._replace(resources={resource.id: resource}, defaults={"docker": defaults} if defaults else {})


def api(**params) -> Resource:
    return Resource(id="api:image", name="image", component="api", type="docker/image", params=params)


def test_reference_defaults_and_overrides():
    assert image.reference(repo_with(api()), api()) == "acme/api:latest"
    assert image.reference(repo_with(api(), tag="v2"), api()) == "acme/api:v2"
    assert image.reference(repo_with(api(), tag="v2"), api(image="backend", tag=" v3 ")) == "acme/backend:v3"


def test_context_dockerfile_args_labels_target_platform():
    repo = repo_with(api(), buildArgs={"A": "1", "B": 2}, labels={"team": "core"}, target="dev", platform="linux/amd64")
    spec = image.build_input(repo, api(buildArgs={"B": "3"}, labels={"tier": "api"}))
    assert spec.context == Path("/repo/services/api") and spec.dockerfile == Path("/repo/services/api/Dockerfile")
    assert spec.build_args == {"A": "1", "B": "3"}
    assert spec.labels == {"team": "core", "tier": "api", "emb/project": "acme", "emb/component": "api",
                           "emb/flavor": "default"}
    assert (spec.target, spec.platform) == ("dev", "linux/amd64")
    rooted = image.build_input(repo, api(context="/docker", dockerfile="api.Dockerfile", target="prod"))
    assert rooted.context == Path("/repo/docker") and rooted.dockerfile == Path("/repo/docker/api.Dockerfile")
    assert rooted.target == "prod"
    relative = image.build_input(repo, api(context=".."))
    assert relative.context == Path("/repo/services")


def test_the_argv_masks_build_arg_values_only_when_asked():
    spec = docker_build.BuildInput(context=Path("/c"), dockerfile=Path("/c/Dockerfile"), reference="acme/api:1",
                                   target="t", platform="p", build_args={"TOKEN": "s3cret"}, labels={"k": "v"})
    assert docker_build.build_argv(spec, iidfile="/tmp/iid") == (
        "docker", "build", "/c", "-f", "/c/Dockerfile", "-t", "acme/api:1", "--target", "t", "--platform", "p",
        "--build-arg", "TOKEN=s3cret", "--label", "k=v", "--iidfile", "/tmp/iid")
    masked = docker_build.build_argv(spec, masked=True)
    assert "TOKEN=***" in masked and "s3cret" not in " ".join(masked)


def test_reasons_name_inputs_dependencies_and_files_relative_to_the_root():
    old = {"inputs": {"build arg GREETING": "a", "target": ""}, "dependencies": {"base:image": "sha256:1"},
           "files": {"app.txt": "f0644:aa", "gone.txt": "f0644:bb"}}
    new = {"inputs": {"build arg GREETING": "b", "target": "", "label x": "c"},
           "dependencies": {"base:image": "sha256:2"}, "files": {"app.txt": "f0644:cc", "new.txt": "f0644:dd"}}
    assert image.changes(old, new, root_prefix="api", limit=10) == [
        "build arg GREETING changed", "label x added", "dependency base:image rebuilt",
        "api/app.txt changed", "api/gone.txt removed", "api/new.txt added"]
    assert image.changes(old, new, root_prefix="api")[-1] == "and 3 more"
    assert image.changes(new, new, root_prefix="api") == []


def test_inspect_output_maps_references_to_ids_and_log_names_are_safe():
    text = '["acme/api:latest","acme/api:v1"]\tsha256:aa\n["docker.io/library/busybox:1"]\tsha256:bb\n'
    assert docker_build.parse_inspect(text, ["acme/api:v1", "busybox:1", "acme/web:latest"]) == {
        "acme/api:v1": "sha256:aa", "busybox:1": "sha256:bb"}
    assert docker_build.log_name("acme/api:latest") == "acme/api:latest.log"
    assert docker_build.log_name("../x/a b:1") == "_../x/a_b:1.log"
