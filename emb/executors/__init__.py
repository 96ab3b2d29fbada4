"""Executors turn a Task into a Command; `emb.process` runs any Command.

Each executor is a module (local.py, compose.py, kubernetes.py) exposing

    def command(task: Task, ctx: RunContext) -> Command

which must be free of side effects except read-only lookups (the kubernetes
executor queries the cluster for a pod), so `--dry-run` is just "print the
Command". Modules are imported lazily so `emb --help` stays fast.
"""

from __future__ import annotations

import importlib
import shlex
from types import MappingProxyType
from pathlib import Path
from typing import Mapping, NamedTuple

_EMPTY: Mapping[str, str] = MappingProxyType({})  # read-only default for mapping fields

_MODULES = {
    "local": "emb.executors.local",
    "container": "emb.executors.compose",
    "kubernetes": "emb.executors.kubernetes",
}


class Command(NamedTuple):
    """One command line to execute on the host: argv list, never a shell string."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = _EMPTY  # added to emb's environment
    cwd: Path | None = None
    tty: bool = False  # run under a pseudo-terminal (pexpect)
    where: str = ""  # human description of the target ("pod api-7f9c (staging)")
    details: Mapping[str, str] = _EMPTY  # resolved target facts for --dry-run/--json

    def shell_line(self) -> str:
        """The argv shell-quoted, as `--dry-run` prints it."""
        return shlex.join(self.argv)


def get(name: str):
    """The executor module for an executor name."""
    return importlib.import_module(_MODULES[name])


class RunContext(NamedTuple):
    """What an executor needs beyond the task: the monorepo and the CLI's choices."""

    monorepo: "Monorepo"
    namespace: str | None = None  # -n/--namespace as given on the command line
    context: str | None = None  # --context
    pod: str | None = None  # --pod
    stdin_tty: bool = False
    stdout_tty: bool = False
    dry_run: bool = False


from emb.model import Monorepo  # noqa: E402  (type only; model imports nothing heavy)
