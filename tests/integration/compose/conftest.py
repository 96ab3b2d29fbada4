"""The Compose project shared by this package's tests: brought up once, down at the end.

Services (IN_SERVICE=in-container marks api's environment): api and web run; idle is defined but never started; tools exists
only under the `tools` profile. Components: api and idle are services, lib
is not (a local-only component).
"""

from __future__ import annotations

import pytest

COMPOSE_YAML = """\
services:
  api:
    image: {image}
    pull_policy: never
    command: {long_running}
    working_dir: /srv/app
    environment: {IN_SERVICE: in-container}
  web:
    image: {image}
    pull_policy: never
    command: ["sh", "-c", "echo web says hello; trap 'exit 0' TERM; sleep 3600 & wait"]
  idle:
    image: {image}
    pull_policy: never
    command: {long_running}
  tools:
    image: {image}
    pull_policy: never
    profiles: [tools]
    command: {long_running}
"""

EMB_YML = """\
project: {name: composetest}
components:
  api:
    rootDir: api
    tasks:
      where:
        script: 'echo "${IN_SERVICE:-on-host}"'
      fail:
        script: 'echo failing >&2; exit 7'
      env:
        vars:
          SPECIAL: "${env:SPECIAL_VALUE:-unset}"
          EMPTY: ""
        script: 'printf "%s" "$SPECIAL"; printf "[%s]" "$EMPTY"'
      pwd:
        workdir: /etc
        script: pwd
      cat:
        script: 'cat; echo "<eof>"'
      secret:
        vars:
          TOKEN: "${env:TOKEN_VALUE:-unset}"
        script: 'echo ready; read x; printf "%s" "$TOKEN"'
      console:
        interactive: true
        script: exec sh
      errexit:
        script: |
          echo before
          (exit 3)
          echo after
      args:
        script: 'printf "[%s]" "$@"; echo; if [ -n "$BASH_VERSION" ]; then echo bash; else echo sh; fi'
  idle:
    rootDir: idle
    tasks:
      hello:
        script: echo hello
  lib:
    rootDir: lib
    tasks:
      build:
        executors: [container, local]
        script: 'echo "${IN_SERVICE:-on-host}"'
      only-container:
        executors: [container]
        script: echo never
      plain:
        script: 'echo "${IN_SERVICE:-on-host}"'
"""

FILES = {
    "compose.yaml": COMPOSE_YAML,
    ".emb.yml": EMB_YML,
    "api/README": "api\n",
    "idle/README": "idle\n",
    "lib/README": "lib\n",
}


@pytest.fixture(scope="session")
def project(compose_projects):
    """The shared project with api and web running (idle left stopped)."""
    p = compose_projects.make(FILES, up=False, prefix="shared")
    p.up("api", "web")
    assert p.running() == {"api", "web"}
    return p


@pytest.fixture
def in_project(project, monkeypatch):
    """For in-process calls: this project's COMPOSE_PROJECT_NAME, no other COMPOSE_* settings."""
    import os

    from emb.docker import compose

    for key in list(os.environ):
        if key.startswith("COMPOSE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", project.name)
    compose.clear_caches()
    yield project
    compose.clear_caches()



def size_seen_in_container(child, want: tuple[int, int], deadline: float = 10.0) -> tuple[int, int]:
    """Ask the container shell (`stty size`) until it reports `want` or `deadline` passes.

    A resize travels emb -> compose -> daemon -> container asynchronously; on a
    loaded machine one fixed sleep would make the test flaky.
    """
    import time

    end = time.monotonic() + deadline
    while True:
        child.sendline("stty size")
        child.expect(r"(\d+) (\d+)\r\n")
        seen = (int(child.match.group(1)), int(child.match.group(2)))
        if seen == want or time.monotonic() > end:
            return seen
        time.sleep(0.2)
