"""pytest fixtures for the real Docker daemon and Compose v2.

- `docker_daemon` (session): fails, with the reason, unless `docker info` and
  `docker compose version` answer and the plugin passes exit codes through.
  CI never skips these tests: scripts/test starts a daemon when none runs.
- `busybox_image` (session): builds `FROM scratch` + the host's static busybox
  (no registry is reachable) under a tag unique to this session; removed at
  the end.
- `compose_projects` (session): a factory making Compose projects in temporary
  folders, each with its own COMPOSE_PROJECT_NAME; every project it brought
  up is brought down at the end of the session, even after failures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pytest

from tests.helpers import emb_env, run_emb, write_tree

# A service that stays up and stops at once on SIGTERM (sh is PID 1, which
# ignores signals it has no handler for; `wait` returns when the trap fires).
LONG_RUNNING = """["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]"""

SESSION_ID = uuid.uuid4().hex[:8]


def _docker(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kw)


def find_busybox() -> Path:
    """The host's busybox; it must be static to run in a `FROM scratch` image."""
    for candidate in (shutil.which("busybox"), "/bin/busybox", "/usr/bin/busybox"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    pytest.fail("busybox not found: install busybox-static (scripts/test does)", pytrace=False)


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is not installed: run the tests with scripts/test", pytrace=False)
    info = _docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    if info.returncode != 0:
        pytest.fail(f"no Docker daemon answers ({info.stderr.strip()}): run the tests with scripts/test",
                    pytrace=False)
    version = _docker("compose", "version", timeout=30)
    if version.returncode != 0:
        pytest.fail("the Compose v2 plugin is missing: run the tests with scripts/test", pytrace=False)
    # A plugin wrapper that swallows exit codes would make every exit-code test lie.
    if _docker("compose", "emb-exit-code-probe", timeout=30).returncode == 0:
        pytest.fail("`docker compose` exits 0 on errors (a wrapper script?): run scripts/test to relink it",
                    pytrace=False)


@pytest.fixture(scope="session")
def busybox_image(docker_daemon, tmp_path_factory) -> str:
    context = tmp_path_factory.mktemp("busybox-image")
    shutil.copy2(find_busybox(), context / "busybox")
    (context / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
        'CMD ["sh"]\n'
    )
    tag = f"emb-test-busybox:{SESSION_ID}"
    built = _docker("build", "-q", "-t", tag, str(context), timeout=300,
                    env={**os.environ, "DOCKER_BUILDKIT": "0"})
    if built.returncode != 0:
        pytest.fail(f"could not build the busybox test image: {built.stderr.strip()}", pytrace=False)
    yield tag
    _docker("rmi", "-f", tag)


@dataclass
class ComposeProject:
    """A Compose project in a folder: its name, files, and helpers to drive it."""

    root: Path
    name: str
    image: str
    extra_env: dict = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """emb's environment for this project (clean, no colour, this project's name)."""
        return emb_env(COMPOSE_PROJECT_NAME=self.name, **self.extra_env)

    def compose(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["docker", "compose", *args], cwd=self.root, env=self.env,
            capture_output=True, text=True, timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed: {done.stderr}")
        return done

    def up(self, *services: str) -> None:
        self.compose("up", "-d", *services)

    def stop(self, *services: str) -> None:
        self.compose("stop", "-t", "1", *services)

    def down(self) -> None:
        self.compose("down", "-t", "0", "-v", "--remove-orphans", check=False)

    def running(self) -> set[str]:
        out = self.compose("ps", "--services", "--filter", "status=running").stdout
        return set(out.split())

    def emb(self, *args: str, input=None, env: Mapping[str, str] | None = None, timeout: float = 60):
        return run_emb(*args, cwd=self.root, env={**self.env, **(env or {})}, input=input, timeout=timeout)


class ComposeProjects:
    """Factory for ComposeProject; `down`s every project at session end."""

    def __init__(self, image: str, tmp_path_factory):
        self.image = image
        self._tmp = tmp_path_factory
        self._made: list[ComposeProject] = []

    def make(self, files: Mapping[str, str], *, up: bool = True, prefix: str = "p") -> ComposeProject:
        """Write `files` ({path: text}; "{image}" and "{long_running}" are filled in) and maybe `up -d`."""
        root = self._tmp.mktemp(f"compose-{prefix}")
        filled = {
            path: text.replace("{image}", self.image).replace("{long_running}", LONG_RUNNING)
            for path, text in files.items()
        }
        write_tree(root, filled)
        project = ComposeProject(root=root, name=f"embtest-{SESSION_ID}-{prefix}-{len(self._made)}", image=self.image)
        self._made.append(project)
        if up:
            project.up()
        return project

    def down_all(self) -> None:
        for project in self._made:
            project.down()


@pytest.fixture(scope="session")
def compose_projects(busybox_image, tmp_path_factory):
    projects = ComposeProjects(busybox_image, tmp_path_factory)
    try:
        yield projects
    finally:
        projects.down_all()
