"""`emb resources build` against the real daemon: images `FROM scratch` with the
host's static busybox, a three-level chain (base -> lib -> app) and a sibling
(web on base), every freshness rule, parallel builds, failures with and
without -k, and Ctrl+C.

Builds are counted from emb's --json (`status: built`) and checked against
docker (image ids change exactly when a build ran).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers import emb_env, run_emb, write_tree
from tests.integration.docker_plugin import SESSION_ID, find_busybox

pytestmark = pytest.mark.docker

EMB_YML = """\
project:
  name: {project}
defaults:
  docker:
    buildArgs:
      GREETING: hello
components:
  base:
    rootDir: base
    resources:
      image: {{type: docker/image}}
  lib:
    rootDir: lib
    resources:
      image: {{type: docker/image, dependencies: [base:image]}}
  app:
    rootDir: app
    resources:
      image:
        type: docker/image
        dependencies: [lib:image]
        params:
          buildArgs: {{FLAVOUR: plain}}
  web:
    rootDir: web
    resources:
      image: {{type: docker/image, dependencies: [base:image]}}
"""

BASE_DOCKERFILE = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'


def child_dockerfile(project: str, parent: str, extra: str = "") -> str:
    return f"FROM {project}/{parent}:latest\nARG GREETING\nCOPY . /srv/\nRUN echo $GREETING > /greeting\n{extra}"


class Repo:
    def __init__(self, root: Path, project: str):
        self.root = root
        self.project = project

    def emb(self, *args, timeout=240, env=None):
        return run_emb("-C", str(self.root), *args, env=emb_env(**(env or {})), timeout=timeout)

    def build(self, *args, expect=0) -> dict:
        done = self.emb("resources", "build", "--json", *args)
        assert done.returncode == expect, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def built(self, *args) -> set[str]:
        return {rid for rid, item in self.build(*args).items() if item["status"] == "built"}

    def reasons(self) -> dict[str, str]:
        data = self.build("--dry-run")
        return {rid: item["sentinelData"]["reason"] for rid, item in data.items()}

    def image_id(self, name: str) -> str | None:
        done = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", f"{self.project}/{name}:latest"],
                              capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def repo(docker_daemon, tmp_path):
    project = f"embrt{SESSION_ID}{uuid.uuid4().hex[:6]}"
    write_tree(tmp_path, {
        ".emb.yml": EMB_YML.format(project=project),
        "base/Dockerfile": BASE_DOCKERFILE,
        "lib/Dockerfile": child_dockerfile(project, "base"),
        "lib/lib.txt": "lib v1\n",
        "app/Dockerfile": child_dockerfile(project, "lib", "ARG FLAVOUR\nRUN echo $FLAVOUR > /flavour\n"),
        "app/app.txt": "app v1\n",
        "app/.dockerignore": "notes/\n*.tmp\n",
        "app/notes/todo.md": "later\n",
        "web/Dockerfile": child_dockerfile(project, "base"),
        "web/index.html": "<p>hi</p>\n",
    })
    shutil.copy2(find_busybox(), tmp_path / "base" / "busybox")
    yield Repo(tmp_path, project)
    listed = subprocess.run(["docker", "images", "-q", "--filter", f"label=emb/project={project}"],
                            capture_output=True, text=True).stdout.split()
    if listed:
        subprocess.run(["docker", "rmi", "-f", *set(listed)], capture_output=True)


def test_a_chain_builds_in_dependency_order_then_everything_is_up_to_date(repo):
    first = repo.build()
    assert list(first) == ["base:image", "lib:image", "app:image", "web:image"]
    assert all(item["status"] == "built" for item in first.values())
    assert first["app:image"]["sentinelData"]["reason"] == "image missing"
    ids = {name: repo.image_id(name) for name in ("base", "lib", "app", "web")}
    assert all(ids.values())
    assert first["app:image"]["imageId"] == ids["app"]
    log = repo.root / ".emb/default/logs/docker/build" / repo.project / "app:latest.log"
    assert "Step 1/" in log.read_text() and "--build-arg GREETING=***" in log.read_text()

    again = repo.build()
    assert {rid: item["status"] for rid, item in again.items()} == dict.fromkeys(first, "up to date")
    assert all(item["cacheHit"] for item in again.values())
    assert {name: repo.image_id(name) for name in ids} == ids


def test_freshness_rules(repo):
    assert len(repo.built()) == 4

    # Touching a file, or switching branches back and forth, changes no content: nothing to build.
    os.utime(repo.root / "app/app.txt", (time.time() + 100, time.time() + 100))
    git = ["git", "-C", str(repo.root), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    subprocess.run([*git, "checkout", "-qb", "other"], check=True)
    repo.write("lib/lib.txt", "lib on another branch\n")
    subprocess.run([*git, "commit", "-qam", "two"], check=True)
    subprocess.run([*git, "checkout", "-q", "main"], check=True)
    assert repo.built() == set()

    # A changed file rebuilds its image and, its id having changed, the dependents.
    repo.write("lib/lib.txt", "lib v2\n")
    assert repo.reasons()["lib:image"] == "lib/lib.txt changed"
    old_app = repo.image_id("app")
    assert repo.built() == {"lib:image", "app:image"}
    assert repo.image_id("app") != old_app

    # What .dockerignore leaves out is not sent, so it does not count; an untracked file that is sent does.
    repo.write("app/notes/todo.md", "much later\n")
    repo.write("app/scratch.tmp", "x\n")
    assert repo.built() == set()
    repo.write("app/untracked.txt", "new\n")
    assert repo.reasons()["app:image"] == "app/untracked.txt added"
    assert repo.built() == {"app:image"}

    # A build argument: the default, and the resource's own.
    text = (repo.root / ".emb.yml").read_text()
    (repo.root / ".emb.yml").write_text(text.replace("FLAVOUR: plain", "FLAVOUR: spicy"))
    assert repo.reasons()["app:image"] == "build arg FLAVOUR changed"
    assert repo.built() == {"app:image"}

    # The dependency's rebuild reaches the dependents through its image id: a file its
    # Dockerfile does not use rebuilds it to the same id (docker's cache), and no more...
    repo.write("base/extra.txt", "more\n")
    reasons = repo.reasons()
    assert reasons["base:image"] == "base/extra.txt added"
    assert reasons["web:image"] == "dependency base:image rebuilt"  # dry-run: it may change
    old_base = repo.image_id("base")
    assert repo.built() == {"base:image"}
    assert repo.image_id("base") == old_base
    # ...while a new layer gives it a new id, and every image built on it follows.
    repo.write("base/Dockerfile", BASE_DOCKERFILE + "COPY extra.txt /extra.txt\n")
    assert repo.reasons()["base:image"] == "base/Dockerfile changed"
    data = repo.build()
    assert {rid for rid, item in data.items() if item["status"] == "built"} == {
        "base:image", "lib:image", "app:image", "web:image"}
    assert data["web:image"]["sentinelData"]["reason"] == "dependency base:image rebuilt"
    assert data["app:image"]["sentinelData"]["reason"] == "dependency lib:image rebuilt"

    # The image removed behind emb's back.
    subprocess.run(["docker", "rmi", f"{repo.project}/web:latest"], capture_output=True, check=True)
    assert repo.reasons()["web:image"] == "image missing"
    assert repo.built() == {"web:image"}

    # -f builds everything selected (and its dependencies) anyway.
    assert repo.built("-f", "web:image") == {"base:image", "web:image"}


def test_always_and_watch_paths_with_emb_precedence(repo):
    text = (repo.root / ".emb.yml").read_text()
    head, web = text.split("  web:\n")
    text = head + "  web:\n" + web.replace(
        "      image: {type: docker/image, dependencies: [base:image]}",
        "      image:\n        type: docker/image\n        dependencies: [base:image]\n"
        "        rebuildTrigger: {strategy: always}")
    text += ("flavors:\n  dev:\n    defaults:\n      rebuildPolicy:\n        docker/image:\n"
             "          strategy: watch-paths\n          paths: [Dockerfile, '*.txt']\n")
    (repo.root / ".emb.yml").write_text(text)
    repo.write("base/base.txt", "base\n")
    assert len(repo.built()) == 4
    # always: every time (the resource's trigger).
    assert repo.built() == {"web:image"}
    data = repo.build("--dry-run", "web:image")
    assert data["web:image"]["sentinelData"] == {"strategy": "always", "source": "resource",
                                                 "reason": "strategy always"}

    # The flavor's policy: watch-paths (paths relative to each context).
    assert repo.built("--flavor", "dev", "base:image", "lib:image", "app:image") == {"base:image", "lib:image", "app:image"}
    repo.write("app/other.md", "not watched\n")
    assert repo.built("--flavor", "dev", "app:image") == set()
    repo.write("app/app.txt", "app v2\n")
    dry = repo.build("--flavor", "dev", "--dry-run", "app:image")
    assert dry["app:image"]["sentinelData"]["source"] == "flavor"
    assert dry["app:image"]["sentinelData"]["watched"] == ["Dockerfile", "app.txt"]
    assert dry["app:image"]["sentinelData"]["reason"] == "app/app.txt changed"
    assert repo.built("--flavor", "dev", "app:image") == {"app:image"}

    # A glob matching nothing is a configuration error, before anything is built.
    (repo.root / ".emb.yml").write_text(text.replace("'*.txt'", "'*.nothing'"))
    done = repo.emb("--flavor", "dev", "resources", "build", "lib:image")
    assert done.returncode == 2
    assert "watch-paths: '*.nothing' matches no file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failure_stops_new_builds_and_with_k_skips_only_dependents(repo):
    repo.write("lib/Dockerfile", f"FROM {repo.project}/base:latest\nRUN echo broken build >&2; exit 3\n")
    done = repo.emb("resources", "build")
    assert done.returncode == 1
    assert "emb: error: failed to build: lib:image; skipped (a dependency failed): app:image; " \
           "not started: web:image" in done.stderr
    assert "log of lib:image: " in done.stderr and "lib:image | broken build" in done.stderr
    assert "Traceback" not in done.stderr
    assert repo.image_id("lib") is None  # never tagged from a failed build
    assert not (repo.root / ".emb/default/resources/lib/image.json").exists()
    assert repo.image_id("web") is None  # -j 1: base, lib (fails), then nothing new

    data = repo.build("-k", expect=1)
    assert data["lib:image"]["status"] == "failed"
    assert data["app:image"]["status"] == "skipped"
    assert data["web:image"]["status"] in ("built", "up to date")
    assert repo.image_id("web") is not None

    repo.write("lib/Dockerfile", child_dockerfile(repo.project, "base"))
    assert repo.built() == {"lib:image", "app:image"}


def test_parallel_builds_keep_each_output_apart(repo):
    done = repo.emb("resources", "build", "-j", "2")
    assert done.returncode == 0, done.stderr
    assert "emb: 4 built" in done.stderr
    # lib and web ran side by side; each line names its build, each log holds only its own.
    assert "lib:image | Step 1/" in done.stderr and "web:image | Step 1/" in done.stderr
    logs = repo.root / ".emb/default/logs/docker/build" / repo.project
    assert f"FROM {repo.project}/base:latest" in (logs / "web:latest.log").read_text()
    assert "lib:image" not in (logs / "web:latest.log").read_text()
    assert "Successfully tagged " + f"{repo.project}/web:latest" in (logs / "web:latest.log").read_text()
    assert "Successfully tagged " + f"{repo.project}/lib:latest" not in (logs / "web:latest.log").read_text()


def test_ctrl_c_leaves_no_record_and_the_next_run_builds_again(repo):
    assert repo.built("base:image") == {"base:image"}
    repo.write("lib/Dockerfile", f"FROM {repo.project}/base:latest\nRUN echo started; sleep 60\n")
    log = repo.root / ".emb/default/logs/docker/build" / repo.project / "lib:latest.log"
    proc = subprocess.Popen([sys.executable, "-m", "emb", "-C", str(repo.root), "resources", "build", "lib:image"],
                            env=emb_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (log.exists() and "started" in log.read_text()):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    assert "started" in log.read_text()
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl+C: emb and docker together
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not (repo.root / ".emb/default/resources/lib/image.json").exists()
    assert repo.image_id("lib") is None
    repo.write("lib/Dockerfile", child_dockerfile(repo.project, "base"))
    assert repo.built("lib:image") == {"lib:image"}


def test_errors_are_one_line_with_hints(repo):
    (repo.root / "web/Dockerfile").unlink()
    done = repo.emb("resources", "build")
    assert done.returncode == 2
    assert f"emb: error: resource web:image: no Dockerfile at {repo.root / 'web/Dockerfile'}" in done.stderr
    assert "Traceback" not in done.stderr

    done = repo.emb("resources", "build", "wbe:image")
    assert done.returncode == 2 and "unknown resource 'wbe:image'" in done.stderr
    assert "did you mean: web:image" in done.stderr
    done = repo.emb("resources", "build", "image")
    assert done.returncode == 2 and "resource 'image' is ambiguous" in done.stderr
    repo.write("web/Dockerfile", child_dockerfile(repo.project, "base"))

    done = repo.emb("resources", "build", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert done.returncode == 125, done.stderr
    assert "the Docker daemon is not reachable at unix:///nonexistent/docker.sock" in done.stderr

    done = repo.emb("resources", "build", env={"PATH": "/nonexistent"})
    assert done.returncode == 125 and "the docker CLI is not installed" in done.stderr
