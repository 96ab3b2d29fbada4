"""The one error type emb raises for anything a user can cause.

The CLI turns an EmbError into a single line on stderr (`emb: error: ...`),
its hints (one per line, indented), and its exit code. Nothing a user can
cause should ever reach them as a traceback.
"""

from __future__ import annotations

# Exit codes (SPEC §3).
EXIT_USAGE = 2  # usage and configuration errors
EXIT_CANNOT_START = 125  # emb cannot start the task (tool missing, target unreachable...)
EXIT_INTERRUPTED = 130
EXIT_TIMEOUT = 124  # --timeout stopped the task
EXIT_LOST = 255  # the connection to the target was lost after the task started: outcome unknown


class EmbError(Exception):
    """A user-facing error: one-line message, optional hints, an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hints: list[str] | tuple[str, ...] = (), exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hints = tuple(hints)
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class ConfigError(EmbError):
    """The configuration cannot be read, parsed, validated or resolved (exit 2)."""

    exit_code = EXIT_USAGE


class UsageError(EmbError):
    """The command line asks for something that does not exist or is not allowed (exit 2)."""

    exit_code = EXIT_USAGE


class CannotStart(EmbError):
    """emb cannot start the task: tool missing, target unreachable, no pod... (exit 125)."""

    exit_code = EXIT_CANNOT_START


class ConnectionLost(EmbError):
    """The connection to the target was lost after the task started (exit 255)."""

    exit_code = EXIT_LOST
