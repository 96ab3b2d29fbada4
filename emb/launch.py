"""The environment emb was started in, kept apart from what the repository adds.

Usage: the CLI calls `capture()` first thing (emb.cli.main.run). Then
`emb.process` resolves every tool from it: `which` searches the launch PATH;
`capture` and `passthrough` (lookups, `logs -f`, `up`) and any Command with
`tool=True` (the docker/compose/kubectl commands executors build) run with
`tool_environ()`: the current environment (so a `.env` value such as
COMPOSE_PROJECT_NAME or VAULT_ADDR still reaches the tool and compose's
interpolation) with the TOOL_VARIABLES put back as they were at launch.
Code that reads a tool variable itself (EMB_KUBECTL, KUBECONFIG,
DOCKER_CONFIG, HOME for ~/.docker) asks `tool_variable(name)` / `home()`.

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
    environment plus `extra`, with the TOOL_VARIABLES as they were at launch (unset
    if unset then), whatever `extra` or the repository says about them."""
    env = dict(os.environ)
    if extra:
        env.update(extra)
    launch = launch_environ()
    for name in TOOL_VARIABLES:
        if name in launch:
            env[name] = launch[name]
        else:
            env.pop(name, None)
    return env


def tool_variable(name: str, default: str | None = None) -> str | None:
    """One tool variable (PATH, EMB_KUBECTL, KUBECONFIG, DOCKER_CONFIG...) as emb was started with it."""
    return launch_environ().get(name, default)


def home() -> str:
    """The user's home as emb was started with it (not a HOME from the repository's .env)."""
    value = launch_environ().get("HOME")
    if value:
        return value
    import pwd

    return pwd.getpwuid(os.getuid()).pw_dir


def reset() -> None:
    """Tests only."""
    global _launch
    _launch = None
