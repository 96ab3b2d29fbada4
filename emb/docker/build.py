"""`docker build` through the docker CLI: its argv, which builder it uses, the
images' ids in one call, and how a failed build is worded.

Pure except `builder_in_use` (looks at files) and `image_ids` (one
`docker image inspect` for every reference).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

from emb import launch, process
from emb.docker.compose import plugin_dirs
from emb.docker.engine import daemon_error
from emb.errors import CannotStart, EmbError

MASK = "***"
INSTALL_HINT = "install the docker CLI: https://docs.docker.com/engine/install/"


class BuildInput(NamedTuple):
    """What one `docker build` is given (SPEC §6); EMB 0.30's builderInput names in `as_json`."""

    context: Path
    dockerfile: Path
    reference: str
    target: str | None = None
    platform: str | None = None
    build_args: Mapping[str, str] = {}
    labels: Mapping[str, str] = {}

    def as_json(self) -> dict:
        return {"context": str(self.context), "dockerfile": str(self.dockerfile), "tag": self.reference,
                "target": self.target, "platform": self.platform, "buildArgs": dict(self.build_args),
                "labels": dict(self.labels)}


def docker_cli() -> str:
    """The docker CLI's path; CannotStart when it is not installed."""
    found = process.which("docker")
    if not found:
        raise CannotStart("the docker CLI is not installed (no `docker` on PATH)", [INSTALL_HINT])
    return found


def build_argv(spec: BuildInput, *, iidfile: str | None = None, masked: bool = False,
               docker: str = "docker") -> tuple[str, ...]:
    """`docker build CONTEXT -f DOCKERFILE -t REF [--target] [--platform] [--build-arg]... [--label]...`.

    `masked`: build-arg values as *** (for emb's own lines and the log's header).
    """
    argv = [docker, "build", str(spec.context), "-f", str(spec.dockerfile), "-t", spec.reference]
    if spec.target:
        argv += ["--target", spec.target]
    if spec.platform:
        argv += ["--platform", spec.platform]
    for key, value in spec.build_args.items():
        argv += ["--build-arg", f"{key}={MASK if masked else value}"]
    for key, value in spec.labels.items():
        argv += ["--label", f"{key}={value}"]
    if iidfile:
        argv += ["--iidfile", iidfile]
    return tuple(argv)


def tool_env() -> dict[str, str]:
    """The docker variables as emb was started with (a repository's env: block must not pick the daemon)."""
    launched = launch.launch_environ()
    return {name: launched[name] for name in launch.TOOL_VARIABLES if name in launched}


def buildx_installed() -> bool:
    for folder in plugin_dirs():
        candidate = folder / "docker-buildx"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return True
    return False


def image_ids(references: Iterable[str]) -> dict[str, str]:
    """{reference: image id} of the references that exist, in one docker call.

    Raises CannotStart when docker is missing or its daemon is unreachable.
    """
    refs = list(dict.fromkeys(references))
    if not refs:
        return {}
    done = process.capture([docker_cli(), "image", "inspect", "--format", "{{json .RepoTags}}\t{{.Id}}", *refs],
                           env={**os.environ, **tool_env()})
    if done.missing:
        raise CannotStart("the docker CLI is not installed (no `docker` on PATH)", [INSTALL_HINT])
    if not done.ok:
        problem = daemon_error(done.error_text())
        if problem is not None:
            raise problem
        if "No such image" not in done.error_text() and not done.stdout:
            raise CannotStart(f"docker image inspect failed: {last_line(done.error_text())}")
    return parse_inspect(done.text(), refs)


def parse_inspect(text: str, refs: list[str]) -> dict[str, str]:
    wanted = set(refs)
    found: dict[str, str] = {}
    for line in text.splitlines():
        tags, _, image_id = line.partition("\t")
        try:
            names = json.loads(tags) or []
        except ValueError:
            continue
        for name in names:
            for candidate in (name, name.removeprefix("docker.io/").removeprefix("library/")):
                if candidate in wanted:
                    found[candidate] = image_id.strip()
    return found


def read_iidfile(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def build_failure(reference: str, stderr_tail: str) -> EmbError:
    """Why a build failed, when emb can tell better than "exit code 1" (daemon, CLI missing)."""
    problem = daemon_error(stderr_tail)
    if problem is not None:
        return problem
    return EmbError(f"docker build of {reference} failed: {last_line(stderr_tail) or 'no output'}", exit_code=1)


def last_line(text: str) -> str:
    """The last non-empty line, without colour sequences."""
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def log_name(reference: str) -> str:
    """A reference as a relative log path, as EMB 0.30 lays them out: `acme/api:latest` ->
    `acme/api:latest.log`; anything unsafe in a file name (and `..`) becomes `_`."""
    parts = []
    for part in reference.split("/"):
        part = "".join(c if c.isalnum() or c in "._:-" else "_" for c in part)
        parts.append("_" + part if part.startswith(".") or not part else part)
    return "/".join(parts) + ".log"
