"""Fake command-line tools for unit tests: small sh scripts on a private PATH
(or plugin dir) that answer what a test needs and log each call."""

from __future__ import annotations

import stat
from pathlib import Path

# A Compose v2 plugin that answers `config --services` (api, worker) and logs each call.
FAKE_COMPOSE = """\
echo "$*" >> "{calls}"
case "$1" in
  config) printf 'api\\nworker\\n' ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac
"""


def make_exe(path: Path, body: str) -> Path:
    """An executable sh script at `path` running `body`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def call_count(calls: Path) -> int:
    """How many times a fake that logs to `calls` ran."""
    return len(calls.read_text().splitlines()) if calls.exists() else 0
