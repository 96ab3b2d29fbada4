"""Interactive shell sessions in a component's target (`emb shell`, `emb kubernetes shell`)."""

from __future__ import annotations

import os
from pathlib import Path

from emb import executors, process
from emb.errors import UsageError
from emb.model import Component, Monorepo


def component(monorepo: Monorepo, name: str) -> Component:
    try:
        return monorepo.components[name]
    except KeyError:
        known = ", ".join(monorepo.components) or "none"
        raise UsageError(f"unknown component {name!r} (components: {known})") from None


def open_shell(executor: str, ctx: executors.RunContext, component: Component, shell: str | None) -> int:
    """Run the executor's shell command; its exit code, or the executor's error
    when the tool itself failed. A shell session is not logged: what is typed
    there may be secret."""
    runner = executors.create(executor, ctx)
    cmd = runner.shell_command(component, shell)
    result = process.run(cmd, log_path=Path(os.devnull))
    if result.exit_code != 0 and not result.interrupted:
        runner.after_failure(None, result)
    return result.exit_code
