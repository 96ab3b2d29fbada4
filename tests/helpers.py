"""Small helpers for tests: write a monorepo to disk, run the real `emb` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write {relative path: text} under root (text is dedented); return root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def emb_env(**extra: str) -> dict[str, str]:
    """A clean environment for running emb: no inherited EMB_*/K8S_* settings, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMB_", "K8S_"))}
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run_emb(
    *args: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess:
    """Run `python -m emb ARGS` and capture its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "emb", *args],
        cwd=cwd,
        env=dict(env) if env is not None else emb_env(),
        input=input,
        capture_output=True,
        text=not isinstance(input, bytes),
        timeout=timeout,
    )


def live_members(pgid: int) -> list[int]:
    """Processes of group `pgid` that are not zombies (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != b"Z":
            found.append(int(entry))
    return found
