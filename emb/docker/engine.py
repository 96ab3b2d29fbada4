"""The docker CLI and its daemon: how emb names them in errors.

Pure: the daemon's failures are recognised in a tool's stderr (compose and
docker word them the same way, both being clients of the same daemon).
"""

from __future__ import annotations

from emb import launch
from emb.errors import CannotStart

INSTALL_HINT = "install Docker with the Compose plugin: https://docs.docker.com/compose/install/"


def daemon_error(stderr: str) -> CannotStart | None:
    """emb's error when stderr says the Docker daemon cannot be used, else None."""
    text = stderr or ""
    if "Cannot connect to the Docker daemon" in text or "error during connect" in text:
        host = launch.tool_variable("DOCKER_HOST")
        return CannotStart(
            "the Docker daemon is not reachable" + (f" at {host}" if host else ""),
            [
                "start Docker (Docker Desktop, or `sudo systemctl start docker`)",
                "check DOCKER_HOST and the docker context: docker context ls",
            ],
        )
    if "permission denied" in text and "docker" in text.lower() and ".sock" in text:
        return CannotStart(
            "permission denied on the Docker daemon socket",
            ["add your user to the docker group (then log in again), or use rootless Docker"],
        )
    return None


def is_daemon_refusal(line: str) -> bool:
    """Is this (last) stderr line a client's "cannot reach the daemon"?"""
    return line.startswith("Cannot connect to the Docker daemon") or line.startswith("error during connect")
