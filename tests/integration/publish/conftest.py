"""A monorepo with images to publish, and the images themselves, for tests against a real registry.

Components (SPEC §6): base (an image, not published), api (published,
depends on base:image), web (published, its own publish tag `web-2`),
notes (a file resource), worker (an image, not published). The registry
comes from `defaults.docker.publish.registry: ${env:REGISTRY_HOST}`, so each
test points the same monorepo at the registry it uses.

The images are built here with `docker build --label emb/project=...`
(what emb's build does), FROM the session's busybox image.
"""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import emb_env, run_emb, write_tree
from tests.integration.docker_plugin import SESSION_ID

EMB_YML = """\
project: {{name: {name}}}
defaults:
  docker:
    tag: v1
    publish: {{registry: "${{env:REGISTRY_HOST:-}}"}}
components:
  base:
    resources:
      image: {{type: docker/image}}
  api:
    resources:
      image:
        type: docker/image
        publish: true
        dependencies: [base:image]
  web:
    resources:
      image:
        type: docker/image
        publish: true
        params: {{publish: {{tag: web-2}}}}
  notes:
    resources:
      todo.txt: {{type: file, params: {{content: hello}}}}
  worker:
    resources:
      image: {{type: docker/image}}
"""

IMAGES = ("base", "api", "web", "worker")


def docker(*args: str, timeout: float = 180, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kw)


@dataclass
class PublishRepo:
    root: Path
    name: str
    image: str  # the busybox base

    def emb(self, *args: str, env=None, timeout: float = 180):
        return run_emb(*args, cwd=self.root, env=emb_env(**(env or {})), timeout=timeout)

    def build(self, *components: str, tag: str = "v1") -> list[str]:
        """Build `<name>/<component>:<tag>` images labelled as emb labels them."""
        refs = []
        for comp in components or IMAGES:
            ref = f"{self.name}/{comp}:{tag}"
            done = docker("build", "-q", "-t", ref, "--label", f"emb/project={self.name}",
                          "--label", f"emb/component={comp}", str(self.root / comp),
                          env={**emb_env(), "DOCKER_BUILDKIT": "0"}, timeout=300)
            assert done.returncode == 0, done.stderr
            refs.append(ref)
        return refs

    def remove_images(self) -> None:
        out = docker("image", "ls", "--filter", f"label=emb/project={self.name}", "--format",
                     "{{.Repository}}:{{.Tag}}").stdout.split()
        refs = [r for r in out if "<none>" not in r]
        if refs:
            docker("image", "rm", "--force", *refs)


def make_repo(tmp_path: Path, image: str, prefix: str = "pub") -> PublishRepo:
    name = f"{prefix}{SESSION_ID}{uuid.uuid4().hex[:4]}"
    files = {".emb.yml": EMB_YML.format(name=name), "notes/README": "notes\n"}
    for comp in IMAGES:
        files[f"{comp}/Dockerfile"] = f"FROM {image}\nLABEL emb.test.component={comp}\n"
    write_tree(tmp_path, files)
    return PublishRepo(root=tmp_path, name=name, image=image)


@pytest.fixture
def publish_repo(tmp_path, busybox_image):
    repo = make_repo(tmp_path, busybox_image)
    yield repo
    repo.remove_images()
