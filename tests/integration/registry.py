"""pytest fixtures: a real image registry on 127.0.0.1, for `emb resources publish`.

The registry is Debian's `docker-registry` package (the CNCF distribution
registry, /usr/bin/docker-registry; scripts/lib/docker.sh installs it), run by
the tests on a free loopback port with a throwaway storage folder. docker
treats 127.0.0.0/8 registries as insecure-allowed, so `docker push
127.0.0.1:PORT/repo:tag` works against it over plain HTTP.

- `registry` (session): no authentication.
- `registry_auth` (session): htpasswd authentication (bcrypt entry written by
  `htpasswd -niB` from apache2-utils); `auth` is (user, password).
- `start_registry(root, auth=None)`: the same, for a test that needs its own.

Each exposes `host` ("127.0.0.1:PORT"), `url`, `auth`, `catalog()`,
`tags(repo)` (read through the HTTP API v2 with urllib), `log()` and `stop()`.

What docker prints to stderr when a push, login or pull fails is pinned by
tests/integration/standins/test_registry.py (full lines in its docstring):
see DOCKER_MESSAGES below; those tests fail if docker's wording changes.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

READY_TIMEOUT = 20.0

# Substrings of docker's stderr (CLI 28.2.2, daemon 20.10.24), asserted by
# tests/integration/standins/test_registry.py; the full lines are in its docstring.
DOCKER_MESSAGES = {
    # push to a registry that requires a login, without one
    "push_unauthenticated": "no basic auth credentials",
    # push to a loopback port where nothing listens
    "push_refused": "connect: connection refused",
    # pull of a tag the registry does not have
    "pull_missing_tag": "manifest unknown",
    # login with a wrong password
    "login_refused": "failed with status: 401 Unauthorized",
}


class RegistryError(RuntimeError):
    """The registry did not start; the message carries its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def registry_binary() -> str:
    found = shutil.which("docker-registry") or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").exists() else None)
    if found is None:
        raise RegistryError("docker-registry is not installed: apt-get install docker-registry "
                            "(scripts/test does)")
    return found


def htpasswd_entry(user: str, password: str) -> str:
    """A bcrypt htpasswd line (the only hash the registry accepts), password on stdin."""
    if shutil.which("htpasswd") is None:
        raise RegistryError("htpasswd is not installed: apt-get install apache2-utils "
                            "(scripts/test does)")
    done = subprocess.run(["htpasswd", "-niB", user], input=password, capture_output=True,
                          text=True, timeout=30)
    if done.returncode != 0:
        raise RegistryError(f"htpasswd failed: {done.stderr.strip()}")
    return done.stdout.strip() + "\n"


CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: emb-test-{port}
{auth}"""

AUTH = """\
auth:
  htpasswd:
    realm: emb-test
    path: {htpasswd}
"""


@dataclass
class Registry:
    root: Path
    port: int
    auth: tuple[str, str] | None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def log_path(self) -> Path:
        return self.root / "registry.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def request(self, path: str) -> tuple[int, dict]:
        """GET `path` of the HTTP API (with basic auth when the registry has it)."""
        req = urllib.request.Request(self.url + path)
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body or b"{}")
            except ValueError:
                return e.code, {"raw": body.decode(errors="replace")}

    def catalog(self) -> list[str]:
        """Repository names, sorted (GET /v2/_catalog)."""
        status, body = self.request("/v2/_catalog")
        if status != 200:
            raise AssertionError(f"GET /v2/_catalog answered {status}: {body}")
        return sorted(body.get("repositories") or [])

    def tags(self, repo: str) -> list[str]:
        """Tags of `repo`, sorted; [] for a repository it does not know (GET /v2/REPO/tags/list)."""
        status, body = self.request(f"/v2/{repo}/tags/list")
        if status == 404:
            return []
        if status != 200:
            raise AssertionError(f"GET /v2/{repo}/tags/list answered {status}: {body}")
        return sorted(body.get("tags") or [])

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def _wait_ready(reg: Registry) -> bool:
    """Poll /v2/ until the registry answers (True) or its process ends (False), bounded."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not reg.running():
            return False
        try:
            with socket.create_connection(("127.0.0.1", reg.port), timeout=1):
                pass
            status, _ = reg.request("/v2/")
            if status in (200, 401):  # 401: up, and asking for credentials
                return True
        except OSError:
            pass
        time.sleep(0.05)
    raise RegistryError(f"docker-registry did not answer on {reg.url}/v2/ within "
                        f"{READY_TIMEOUT:.0f} s; its log:\n{reg.log()}")


def start_registry(root: Path, auth: tuple[str, str] | None = None, *,
                   config_extra: str = "", attempts: int = 3) -> Registry:
    """Start a registry under `root` (storage, config, log); raise RegistryError with its log."""
    binary = registry_binary()
    root.mkdir(parents=True, exist_ok=True)
    auth_block = ""
    if auth is not None:
        htpasswd = root / "htpasswd"
        htpasswd.write_text(htpasswd_entry(*auth))
        auth_block = AUTH.format(htpasswd=htpasswd)
    last = None
    for _ in range(attempts):  # another process may take the free port first
        port = free_port()
        reg = Registry(root=root, port=port, auth=auth)
        config = root / "config.yml"
        config.write_text(CONFIG.format(storage=root / "storage", port=port, auth=auth_block)
                          + config_extra)
        with open(reg.log_path, "wb") as log:
            reg.process = subprocess.Popen([binary, "serve", str(config)], stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
        try:
            if _wait_ready(reg):
                return reg
        except RegistryError:
            reg.stop()
            raise
        reg.stop()
        last = reg.log()
        if "address already in use" not in last:
            break
    raise RegistryError(f"docker-registry exited at start; its log:\n{last}")


def _fixture(root: Path, auth=None):
    try:
        reg = start_registry(root, auth)
    except RegistryError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """A registry without authentication, for the whole session."""
    yield from _fixture(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="session")
def registry_auth(tmp_path_factory):
    """A registry with htpasswd authentication; `auth` is (user, password)."""
    password = base64.b32encode(os.urandom(10)).decode().lower()
    yield from _fixture(tmp_path_factory.mktemp("registry-auth"), ("emb-tester", password))
