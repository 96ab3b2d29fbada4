"""What every bench module needs: the emb command line, a clean environment, files."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def emb_argv(*args: str) -> list[str]:
    """The installed console script, as users run it (falls back to python -m emb)."""
    exe = shutil.which("emb", path=str(Path(sys.executable).parent)) or shutil.which("emb")
    return [exe, *args] if exe else [sys.executable, "-m", "emb", *args]


def clean_env(drop: tuple[str, ...] = ("EMB_", "K8S_", "KUBE", "COMPOSE_"), **extra: str) -> dict[str, str]:
    """os.environ without emb's, kubectl's and Compose's settings, no colour.
    An installed emb has its bytecode cached; without it every run compiles emb's modules."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
