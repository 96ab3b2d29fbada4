"""`emb images`, `images delete/prune` and `emb clean` against real Docker: only this
project's images and containers go (label and reference prefix), never another project's."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.helpers import emb_env
from tests.integration.docker_plugin import SESSION_ID

pytestmark = pytest.mark.docker  # real Docker daemon + Compose v2

COMPOSE = """\
services:
  api:
    image: {name}/api:v1
    pull_policy: never
    command: {long_running}
  web:
    image: {name}/web:v1
    pull_policy: never
    command: {long_running}
"""


def docker(*args: str, timeout: float = 180, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kw)


def build(context: Path, ref: str, project: str) -> str:
    """Build `ref` labelled emb/project=PROJECT (as emb does), a new image each time; its id."""
    base = (context / "BASE").read_text()
    (context / "Dockerfile").write_text(f"FROM {base}\nLABEL emb.test.marker={uuid.uuid4().hex}\n")
    done = docker("build", "-q", "-t", ref, "--label", f"emb/project={project}", str(context),
                  env={**emb_env(), "DOCKER_BUILDKIT": "0"}, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def labelled(project: str) -> list[str]:
    out = docker("image", "ls", "-a", "--filter", f"label=emb/project={project}", "--format",
                 "{{.Repository}}:{{.Tag}}:{{.ID}}").stdout
    return sorted(out.split())


@pytest.fixture
def repo(compose_projects, busybox_image, tmp_path_factory):
    name = f"img{SESSION_ID}{uuid.uuid4().hex[:4]}"
    other = f"oth{SESSION_ID}{uuid.uuid4().hex[:4]}"
    p = compose_projects.make({".emb.yml": f"project: {{name: {name}}}\n",
                               "compose.yaml": COMPOSE.replace("{name}", name)}, up=False, prefix="img")
    ctx = tmp_path_factory.mktemp("ctx")
    (ctx / "BASE").write_text(busybox_image)
    for comp in ("api", "web"):
        build(ctx, f"{name}/{comp}:v1", name)
    build(ctx, f"{other}/api:v1", other)  # a second project's image
    p.project, p.other, p.ctx = name, other, ctx
    yield p
    p.down()
    for project in (name, other):
        refs = [r.rsplit(":", 1)[0] for r in labelled(project)]
        ids = [r.rsplit(":", 1)[1] for r in labelled(project)]
        docker("image", "rm", "-f", *[r for r in refs if "<none>" not in r], *ids)


def test_images_lists_the_projects_images(repo):
    done = repo.emb("images", "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [(i["name"], i["tag"]) for i in items] == [(f"{repo.project}/api", "v1"), (f"{repo.project}/web", "v1")]
    assert set(items[0]) == {"name", "tag", "imageId", "created", "size"}
    assert len(items[0]["imageId"]) == 12 and isinstance(items[0]["size"], int) and items[0]["size"] > 0
    assert items[0]["created"].endswith("Z") and items[0]["created"][:2] == "20"
    table = repo.emb("images").stdout.splitlines()
    assert table[0].split() == ["NAME", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert len(table) == 3


def test_images_all_and_prune_keep_to_the_project(repo):
    old = build(repo.ctx, f"{repo.project}/api:v1", repo.project)  # rebuilt: ...
    build(repo.ctx, f"{repo.project}/api:v1", repo.project)  # ... the previous one is now dangling
    build(repo.ctx, f"{repo.other}/api:v1", repo.other)
    build(repo.ctx, f"{repo.other}/api:v1", repo.other)  # the other project has a dangling one too
    old_id = old.split(":", 1)[1][:12]
    others = labelled(repo.other)
    listed = json.loads(repo.emb("images", "-a", "--json").stdout)
    assert ("<none>", old_id) in [(i["name"], i["imageId"]) for i in listed]
    assert "<none>" not in [i["name"] for i in json.loads(repo.emb("images", "--json").stdout)]

    done = repo.emb("images", "prune", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"docker image prune --force --filter label=emb/project={repo.project}\n"
    assert any(old_id in r for r in labelled(repo.project))
    done = repo.emb("images", "prune")
    assert done.returncode == 0, done.stderr
    assert not any(old_id in r for r in labelled(repo.project))
    assert len(labelled(repo.project)) == 2
    assert labelled(repo.other) == others  # the other project's dangling ones are kept


def test_images_delete_needs_force_for_a_used_image(repo):
    repo.up("api")
    done = repo.emb("images", "delete")
    assert done.returncode == 1
    assert f"docker could not delete every image of {repo.project}" in done.stderr
    assert "hint: an image still used by a container needs -f/--force" in done.stderr
    # docker removed what it could: web (unused); api is kept
    assert [i["name"] for i in json.loads(repo.emb("images", "--json").stdout)] == [f"{repo.project}/api"]
    done = repo.emb("images", "delete", "-f", "--dry-run")
    assert done.stdout == f"docker image rm --force -- {repo.project}/api:v1\n"
    assert len(labelled(repo.project)) == 1
    done = repo.emb("images", "delete", "-f")
    assert done.returncode == 0, done.stderr
    assert json.loads(repo.emb("images", "--json").stdout) == []
    assert [r.rsplit(":", 1)[0] for r in labelled(repo.other)] == [f"{repo.other}/api:v1"]


def test_clean_removes_the_project_and_nothing_else(repo):
    repo.up()
    assert repo.running() == {"api", "web"}
    assert repo.emb("logs", "archive").returncode == 0  # emb's state exists
    state = repo.root / ".emb"
    assert state.is_dir()
    (repo.root / "keep.txt").write_text("mine\n")

    done = repo.emb("clean", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "docker compose down --",
        f"docker container prune --force --filter label=com.docker.compose.project={repo.name}",
        f"docker image rm -- {repo.project}/api:v1 {repo.project}/web:v1",
        f"docker image prune --force --filter label=emb/project={repo.project}",
        f"rm -r {state}",
    ]
    assert repo.running() == {"api", "web"} and state.is_dir() and len(labelled(repo.project)) == 2

    done = repo.emb("clean", "-f")
    assert done.returncode == 0, done.stderr
    assert repo.compose("ps", "-a", "-q").stdout.strip() == ""
    assert labelled(repo.project) == []
    assert [r.rsplit(":", 1)[0] for r in labelled(repo.other)] == [f"{repo.other}/api:v1"]
    assert not state.exists()
    assert (repo.root / "keep.txt").read_text() == "mine\n"
    assert (repo.root / ".emb.yml").is_file() and (repo.root / "compose.yaml").is_file()


def test_clean_refuses_a_state_folder_that_is_a_link(repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("do not delete\n")
    (repo.root / ".emb").symlink_to(elsewhere)
    repo.up("api")
    done = repo.emb("clean", "-f")
    assert done.returncode != 0
    # refused by emb's state layer as soon as it would use the folder, or by clean itself
    assert f"{repo.root / '.emb'} is a symbolic link" in done.stderr
    assert (elsewhere / "precious").read_text() == "do not delete\n"
    assert repo.running() == {"api"}  # refused before anything was removed
    assert len(labelled(repo.project)) == 2
