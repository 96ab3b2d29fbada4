"""The environment emb was started in, kept apart from what the repository adds.

The config layer exports a repository's `env:` block and `.env` files into
os.environ (local tasks and docker compose's interpolation must see them).
They must never choose the programs emb runs or their configuration (SPEC §3,
threat model): for emb's own tool calls, the TOOL_VARIABLES come from the
environment emb was started in, captured here before any configuration is read.
"""

from __future__ import annotations

import os
from typing import Mapping

# Variables that choose which program runs or how the tool is configured.
TOOL_VARIABLES = ("PATH", "EMB_KUBECTL", "KUBECONFIG", "DOCKER_CONFIG", "DOCKER_HOST", "DOCKER_CONTEXT",
                  "HOME")

_launch: dict[str, str] | None = None


def capture(environ: Mapping[str, str] | None = None) -> None:
    """Record the launch environment (the CLI does it first thing; idempotent)."""
    global _launch
    if _launch is None:
        _launch = dict(os.environ if environ is None else environ)


def launch_environ() -> Mapping[str, str]:
    """The environment emb was started in (os.environ if capture() was never called)."""
    return os.environ if _launch is None else _launch


def tool_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one of emb's own tool calls (kubectl, docker): the current
    environment, with the TOOL_VARIABLES as they were at launch (unset if unset then)."""
    env = dict(os.environ)
    launch = launch_environ()
    for name in TOOL_VARIABLES:
        if name in launch:
            env[name] = launch[name]
        else:
            env.pop(name, None)
    if extra:
        env.update(extra)
    return env


def reset() -> None:
    """Tests only."""
    global _launch
    _launch = None
