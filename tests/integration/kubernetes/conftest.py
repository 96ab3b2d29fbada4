"""Helpers for running the real `emb` against tests/kubesim with the real kubectl."""

from __future__ import annotations

import stat
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import run_emb, write_tree


class KubeRepo:
    """A monorepo on disk plus the simulator it talks to."""

    def __init__(self, root: Path, sim):
        self.root = root
        self.sim = sim

    def write(self, emb_yml: str) -> KubeRepo:
        write_tree(self.root, {".emb.yml": emb_yml})
        return self

    def env(self, **extra: str) -> dict[str, str]:
        env = self.sim.env(**extra)
        env["NO_COLOR"] = "1"
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def emb(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        input=None,
        timeout: float = 60,
        **extra: str,
    ):
        return run_emb(
            *args,
            cwd=self.root,
            env=env if env is not None else self.env(**extra),
            input=input,
            timeout=timeout,
        )

    def recorder(self) -> tuple[str, Path]:
        """An EMB_KUBECTL wrapper that records each argv (NUL-separated, one file per call)
        and then runs the real kubectl: the argv-recording view a checker has."""
        log = self.root.parent / "kubectl-calls"
        log.mkdir(exist_ok=True)
        script = self.root.parent / "record-kubectl"
        script.write_text(
            textwrap.dedent(f"""\
            #!{sys.executable}
            import os, sys, time
            name = os.path.join({str(log)!r}, "%.9f-%d" % (time.time(), os.getpid()))
            with open(name, "wb") as f:
                f.write(b"\\0".join(a.encode() for a in sys.argv[1:]))
            os.execvp("kubectl", ["kubectl", *sys.argv[1:]])
        """)
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return str(script), log


def recorded_calls(log: Path) -> list[list[str]]:
    return [p.read_bytes().decode().split("\0") for p in sorted(log.iterdir())]


@pytest.fixture
def repo(tmp_path, kubesim) -> KubeRepo:
    root = tmp_path / "repo"
    root.mkdir()
    return KubeRepo(root, kubesim)
