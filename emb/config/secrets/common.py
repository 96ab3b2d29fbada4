"""What the secret providers share: the error, a reference, a status line, the
environment and time bound of a `vault` / `op` call."""

from __future__ import annotations

import os
from typing import Mapping, NamedTuple

from emb import launch, redact
from emb.errors import CannotStart, ConfigError

# Seconds a single `vault` / `op` call may take (EMB_SECRET_TIMEOUT overrides, from the
# environment emb was started in).
DEFAULT_TIMEOUT = 30.0

# The kinds of failure a provider reports (`emb secrets validate --json`, `providers`).
NOT_INSTALLED = "not_installed"
NOT_LOGGED_IN = "not_logged_in"
NOT_FOUND = "not_found"
PERMISSION_DENIED = "permission_denied"
SEALED = "sealed"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
NOT_CONFIGURED = "not_configured"
FAILED = "failed"
# Failures that say nothing about one secret but about the provider: once seen,
# the provider's other secrets fail at once with the same error (no second wait).
PROVIDER_WIDE = (NOT_INSTALLED, NOT_LOGGED_IN, SEALED, UNREACHABLE, TIMEOUT, NOT_CONFIGURED)


class SecretError(CannotStart):
    """A secret could not be read: emb cannot start what needs it (exit 125)."""

    def __init__(self, message: str, hints=(), kind: str = FAILED):
        super().__init__(message, hints)
        self.kind = kind


class Reference(NamedTuple):
    provider: str  # "vault", "op"
    path: str  # "secret/prod/db", "Prod/Database"
    key: str  # "password"

    def text(self) -> str:
        return f"${{{self.provider}:{self.path}#{self.key}}}"


PROVIDER_TYPES = {"vault": "VaultProvider", "op": "OnePasswordProvider"}


class Status(NamedTuple):
    """What `emb secrets providers` shows for one provider."""

    name: str
    cli: str  # the program ("vault", "op")
    installed: bool
    logged_in: bool
    detail: str  # one line: the address / account, or why not
    state: str = "connected"  # "connected", or the kind of failure (not_logged_in, unreachable...)

    def record(self) -> dict:
        # `type`: EMB 0.30's field (its provider class names), for scripts written against it.
        return {"name": self.name, "type": PROVIDER_TYPES.get(self.name, self.name), "cli": self.cli,
                "status": self.state, "installed": self.installed, "loggedIn": self.logged_in,
                "detail": self.detail}


def timeout(launch_env: Mapping[str, str]) -> float:
    raw = launch_env.get("EMB_SECRET_TIMEOUT")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"EMB_SECRET_TIMEOUT={raw!r} is not a number of seconds",
                          ["set it to a positive number, e.g. EMB_SECRET_TIMEOUT=10, or unset it"])
    return value


def tool_env(launch_env: Mapping[str, str], prefixes: tuple[str, ...],
             extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `vault`/`op` call: emb's environment, where the tool
    variables (PATH, HOME...) and every variable with one of `prefixes` (VAULT_*, OP_*)
    come from the environment emb was started in, never from the repository's `env:`
    block or `.env` files (they would choose the program, or the server the user's
    token is sent to); then `extra` (from the plugin config)."""
    env = {n: v for n, v in os.environ.items() if n not in launch.TOOL_VARIABLES and not n.startswith(prefixes)}
    env.update({n: v for n, v in launch_env.items() if n in launch.TOOL_VARIABLES or n.startswith(prefixes)})
    # A VAULT_*/OP_* the repository added is emptied, not only left out: the process
    # layer may lay this environment over emb's current one. (Both CLIs treat an empty
    # variable as unset.)
    env.update({n: "" for n in os.environ if n.startswith(prefixes) and n not in env})
    env.update(extra)
    return env


def first_line(text: str) -> str:
    """What a tool said, in one line: Vault's `* error` lines if any, else its first line;
    op's `[ERROR] DATE TIME ` prefix removed; masked."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[2:] for line in lines if line.startswith("* ")]
    said = "; ".join(errors) if errors else (lines[0] if lines else "")
    if said.startswith("[ERROR] "):
        said = said.split(" ", 3)[-1]
    return redact.mask(said)


def split_key(provider: str, body: str, example: str) -> tuple[str, str]:
    """`PATH#KEY` -> (PATH, KEY); a ConfigError naming the reference otherwise."""
    path, sep, key = body.rpartition("#")
    if (not sep or not path.strip() or not key.strip() or body != body.strip()
            or any(not c.isprintable() for c in body)):
        raise ConfigError(f"malformed secret reference ${{{provider}:{body}}}",
                          [f"write it as {example}"])
    return path, key
