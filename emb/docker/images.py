"""The project's images and containers through the docker CLI (SPEC §5, §6 Publishing).

Pure where it can be: the command lines (listing, tag, push, login, delete,
prune), the parsing of docker's JSON output, image references, and how a
registry's failure is worded for a person. The few functions that run docker
(`docker_capture`, `docker_passthrough`) go through emb.process, with the
tool variables from the environment emb was started in (emb.launch).

Which images are the project's: references `<project>/…` (or a registry's
`…/<project>/…`, what publishing tagged) on images carrying the
`emb/project=<project>` label. Both must hold, so another project's image is
never listed, deleted or pruned. Containers are the project's by the compose
project label.

Names that come from the repository (references, registries) are always
placed after `--` or inside `--filter` values, so none can become a docker flag.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from emb import launch, process
from emb.docker.engine import INSTALL_HINT, daemon_error
from emb.errors import EXIT_INTERRUPTED, CannotStart, EmbError

PROJECT_LABEL = "emb/project"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
EXIT_FAILED = 1  # a push, a delete that docker refused (as a failed build: SPEC §6)
DOCKER_HUB = "docker.io"


# --- references (SPEC §6) ---------------------------------------------------------------
# (An image resource's own reference, `<project>/<image>:<tag>`, is emb.resources'.)

def split_reference(ref: str) -> tuple[str, str]:
    """("repo", "tag") of "repo:tag"; a ':' before the last '/' is a registry port, not a tag."""
    head, sep, tail = ref.rpartition(":")
    if sep and "/" not in tail:
        return head, tail
    return ref, "latest"


def retarget(ref: str, registry: str | None, tag: str | None) -> str:
    """`<registry>/<repo>:<tag>` (posix join, as EMB 0.30); unchanged parts stay."""
    repo, old_tag = split_reference(ref)
    if registry:
        repo = posixpath.join(registry, repo)
    return f"{repo}:{tag or old_tag}"


def registry_host(ref: str) -> str:
    """The registry a reference is pushed to (docker's rule: a first part with '.', ':' or
    `localhost` is a host; otherwise Docker Hub)."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


# --- command lines ---------------------------------------------------------------------

def docker_binary() -> str:
    """The docker CLI on the PATH emb was started in (never one a repository's env: put first)."""
    found = _which_on(launch.launch_environ().get("PATH") or os.defpath)
    if not found:
        raise CannotStart("the docker CLI is not installed (no `docker` on PATH)", [INSTALL_HINT])
    return found


def _which_on(path: str) -> str | None:
    for folder in path.split(os.pathsep):
        candidate = os.path.join(folder or ".", "docker")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def list_images_argv(project: str, all_images: bool = False) -> list[str]:
    return ["docker", "image", "ls", *(["--all"] if all_images else []),
            "--filter", f"label={PROJECT_LABEL}={project}", "--format", "{{json .}}"]


INSPECT_FORMAT = '{"Id":{{json .Id}},"Created":{{json .Created}},"Size":{{json .Size}},"RepoTags":{{json .RepoTags}}}'


def inspect_images_argv(ids: Sequence[str]) -> list[str]:
    return ["docker", "image", "inspect", "--format", INSPECT_FORMAT, "--", *ids]


def image_exists_argv(ref: str) -> list[str]:
    return ["docker", "image", "inspect", "--format", "{{.Id}}", "--", ref]


def tag_argv(source: str, target: str) -> list[str]:
    return ["docker", "image", "tag", "--", source, target]


def push_argv(ref: str) -> list[str]:
    return ["docker", "image", "push", "--", ref]


def login_argv(server: str, username: str) -> list[str]:
    """`docker login` with the password on stdin (never on the command line)."""
    return ["docker", "login", f"--username={username}", "--password-stdin", "--", server]


def remove_images_argv(refs: Sequence[str], force: bool = False) -> list[str]:
    return ["docker", "image", "rm", *(["--force"] if force else []), "--", *refs]


def prune_images_argv(project: str, all_images: bool = False) -> list[str]:
    return ["docker", "image", "prune", "--force", *(["--all"] if all_images else []),
            "--filter", f"label={PROJECT_LABEL}={project}"]


CONTAINER_FORMAT = (
    '{"id":{{json .ID}},"name":{{json .Names}},"image":{{json .Image}},"command":{{json .Command}},'
    '"created":{{json .CreatedAt}},"status":{{json .Status}},"state":{{json .State}},'
    '"ports":{{json .Ports}},"service":{{json (.Label "' + COMPOSE_SERVICE_LABEL + '")}}}'
)


def list_containers_argv(compose_project: str, all_containers: bool = False) -> list[str]:
    return ["docker", "container", "ls", *(["--all"] if all_containers else []), "--no-trunc",
            "--filter", f"label={COMPOSE_PROJECT_LABEL}={compose_project}", "--format", CONTAINER_FORMAT]


def prune_containers_argv(compose_project: str) -> list[str]:
    return ["docker", "container", "prune", "--force",
            "--filter", f"label={COMPOSE_PROJECT_LABEL}={compose_project}"]


# --- parsing --------------------------------------------------------------------------

def json_lines(text: str) -> list[dict]:
    """One JSON object per line (docker's `--format '{{json .}}'`); other lines are ignored."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            rows.append(value)
    return rows


def is_project_repository(repository: str, project: str, *, retags: bool = False) -> bool:
    """`<project>/…`; with `retags`, also a registry's `<host>/…/<project>/…` (a tag that publishing made)."""
    if repository.startswith(f"{project}/"):
        return True
    if not retags or registry_host(repository) == DOCKER_HUB:
        return False
    path = repository.split("/")[1:]  # after the registry host
    return project in path[:-1]


class ImageRow(NamedTuple):
    repository: str  # "<none>" for a dangling image
    tag: str
    id: str  # short id, as `docker images` shows it

    @property
    def reference(self) -> str | None:
        if self.repository in ("", "<none>") or self.tag in ("", "<none>"):
            return None
        return f"{self.repository}:{self.tag}"


def image_rows(listing: str, project: str, all_images: bool = False, *, retags: bool = False) -> list[ImageRow]:
    """The project's rows of a labelled `docker image ls` listing.

    Without `all_images`: tagged `<project>/…` references only (as EMB 0.30
    lists them; `retags` adds the registry tags publishing made, for deleting).
    With it: also the untagged images that carry the label (EMB 0.30's `-a`)."""
    rows = []
    for raw in json_lines(listing):
        row = ImageRow(str(raw.get("Repository", "")), str(raw.get("Tag", "")), str(raw.get("ID", "")))
        if row.reference is not None and is_project_repository(row.repository, project, retags=retags):
            rows.append(row)
        elif all_images and row.reference is None:
            rows.append(row)
    rows.sort(key=lambda r: (r.repository == "<none>", r.repository, r.tag, r.id))
    return rows


def short_id(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]


def iso_time(value: str) -> str:
    """docker's timestamps (RFC 3339 with nanoseconds, or "2026-12-01 19:34:08 +0000 UTC")
    as ISO 8601 UTC with milliseconds, the form EMB 0.30's JSON dates take."""
    text = (value or "").strip()
    if not text:
        return ""
    m = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", text)
    if not m:
        return text
    fraction = (m.group(3) or ".0")[1:7].ljust(6, "0")
    zone = m.group(4) or "Z"
    zone = "+00:00" if zone == "Z" else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    try:
        moment = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}.{fraction}{zone}")
    except ValueError:
        return text
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def image_items(rows: Iterable[ImageRow], inspected: Iterable[Mapping[str, Any]]) -> list[dict]:
    """`emb images --json` items, EMB 0.30's names: name, tag, imageId, created, size (bytes)."""
    facts = {short_id(str(i.get("Id", ""))): i for i in inspected}
    items = []
    for row in rows:
        info = facts.get(short_id(row.id), {})
        items.append({
            "name": row.repository,
            "tag": row.tag,
            "imageId": short_id(row.id),
            "created": iso_time(str(info.get("Created", ""))),
            "size": int(info.get("Size") or 0),
        })
    return items


def container_items(listing: str) -> list[dict]:
    """`emb containers --json` items: id, name, image, command, created, status, ports, service."""
    items = []
    for raw in json_lines(listing):
        items.append({
            "id": str(raw.get("id", ""))[:12],
            "name": str(raw.get("name", "")),
            "image": str(raw.get("image", "")),
            "command": str(raw.get("command", "")).strip('"'),
            "created": iso_time(str(raw.get("created", ""))),
            "status": str(raw.get("status", "")),
            "ports": str(raw.get("ports", "")),
            "service": str(raw.get("service", "")) or None,
        })
    items.sort(key=lambda i: (i["service"] or "", i["name"]))
    return items


# --- running docker -------------------------------------------------------------------

def _argv(argv: Sequence[str]) -> list[str]:
    return [docker_binary(), *argv[1:]] if argv and argv[0] == "docker" else list(argv)


def docker_capture(argv: Sequence[str], *, timeout: float = process.LOOKUP_TIMEOUT,
                   env: Mapping[str, str] | None = None, input: bytes | None = None) -> process.Captured:
    """Run a docker lookup (or a short change) with its output captured. The daemon's
    own failures become emb's error; other failures are the caller's to word."""
    full = _argv(argv)
    done = process.capture(full, timeout=timeout, env=dict(env) if env else None, input=input)
    if done.missing:
        raise CannotStart(f"cannot run docker: {os.strerror(done.start_errno or 2)}", [INSTALL_HINT])
    if done.timed_out:
        raise CannotStart(f"`docker {' '.join(argv[1:3])}` did not answer within {timeout:.0f} s",
                          ["check that the Docker daemon is responsive: docker info"])
    if done.returncode != 0:
        daemon = daemon_error(done.error_text())
        if daemon is not None:
            raise daemon
    return done


def docker_passthrough(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """Run a docker command whose output is for the user (push progress); (exit code, stderr tail)."""
    full = _argv(argv)
    try:
        code, tail = process.passthrough(full, env=dict(env) if env else None)
    except OSError as exc:
        raise CannotStart(f"cannot run docker: {exc.strerror}", [INSTALL_HINT]) from None
    text = tail.decode("utf-8", "replace")
    if code not in (0, EXIT_INTERRUPTED):
        daemon = daemon_error(text)
        if daemon is not None:
            raise daemon
    return code, text


def inspect_images(ids: Sequence[str]) -> list[dict]:
    if not ids:
        return []
    done = docker_capture(inspect_images_argv(sorted(set(ids))))
    return json_lines(done.text())


def image_exists(ref: str) -> bool:
    return docker_capture(image_exists_argv(ref)).ok


# --- registry errors, worded for a person ----------------------------------------------

def last_error_line(stderr: str) -> str:
    for line in reversed((stderr or "").splitlines()):
        if line.strip():
            return line.strip()
    return ""


def _transport_error(text: str, host: str, doing: str) -> EmbError | None:
    """The registry could not be talked to at all: unreachable, or HTTP where docker wants HTTPS."""
    lower = text.lower()
    if "server gave http response to https client" in lower:
        return EmbError(
            f"the registry {host} answers in plain HTTP, but docker expects HTTPS ({doing})",
            [f'if {host} is a registry you trust without TLS, add it to "insecure-registries" in '
             "/etc/docker/daemon.json and restart the Docker daemon",
             "otherwise serve the registry over HTTPS"],
            exit_code=EXIT_FAILED,
        )
    if any(s in lower for s in ("connection refused", "no such host", "i/o timeout", "network is unreachable",
                                "no route to host", "tls handshake timeout", "dial tcp")):
        return EmbError(
            f"the registry {host} is not reachable ({doing})",
            [f"check the registry address ({host}) and that the registry is running",
             f"docker said: {last_error_line(text)}"],
            exit_code=EXIT_FAILED,
        )
    return None


def registry_error(stderr: str, ref: str, *, logged_in: bool = False) -> EmbError:
    """emb's error for a failed `docker push REF`, from docker's stderr."""
    host = registry_host(ref)
    text = stderr or ""
    lower = text.lower()
    transport = _transport_error(text, host, f"pushing {ref}")
    if transport is not None:
        return transport
    if any(s in lower for s in ("no basic auth credentials", "unauthorized", "authentication required",
                                "denied", "401", "403")):
        hints = ([f"the credentials from DOCKER_USERNAME / DOCKER_PASSWORD were refused for {host}"]
                 if logged_in else
                 [f"log in first: docker login {host}" if host != DOCKER_HUB else "log in first: docker login",
                  "or set DOCKER_USERNAME and DOCKER_PASSWORD for emb to log in for the push"])
        return EmbError(f"the registry {host} refused the push of {ref}: unauthorized", hints,
                        exit_code=EXIT_FAILED)
    if any(s in lower for s in ("does not exist", "no such image", "manifest unknown", "not found")):
        return EmbError(
            f"image {ref} not found",
            ["emb publishes images it has built: build it first with `emb resources build`"],
            exit_code=EXIT_FAILED,
        )
    return EmbError(
        f"docker push {ref} failed: {last_error_line(text) or 'no message'}",
        [f"try it by hand: docker push {ref}"],
        exit_code=EXIT_FAILED,
    )


def login_error(stderr: str, host: str) -> EmbError:
    """emb's error for a failed `docker login` with DOCKER_USERNAME / DOCKER_PASSWORD."""
    text = stderr or ""
    lower = text.lower()
    if "401" in lower or "unauthorized" in lower or "incorrect username or password" in lower:
        return EmbError(
            f"the registry {host} refused the login of DOCKER_USERNAME: wrong username or password",
            ["check DOCKER_USERNAME and DOCKER_PASSWORD, or unset both to use docker's own credentials"],
            exit_code=EXIT_FAILED,
        )
    transport = _transport_error(text, host, "logging in")
    if transport is not None:
        return transport
    return EmbError(
        f"docker login {host} failed: {last_error_line(text) or 'no message'}",
        ["check DOCKER_USERNAME and DOCKER_PASSWORD"],
        exit_code=EXIT_FAILED,
    )


def with_config(argv: Sequence[str], folder: Path | None) -> list[str]:
    """`docker --config FOLDER ...`: a private docker config for one login and push.
    A flag, not DOCKER_CONFIG: emb's tool calls keep the launch environment's
    DOCKER_CONFIG whatever the environment says (emb.launch)."""
    argv = list(argv)
    if folder is None or not argv or argv[0] != "docker":
        return argv
    return ["docker", "--config", str(folder), *argv[1:]]
