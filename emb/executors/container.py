"""The container executor: run a task in its component's Docker Compose service.

    <compose> exec [-T] [-e K=V ...] [-w WORKDIR] SERVICE sh -c SCRIPT

Checks before running, without a docker call in the usual case: the CLI is
installed, a compose file applies, and the component is a service (the
service list is cached on disk by emb.compose).

Whether the service is *running* is not asked beforehand: that would cost a
second `docker compose` call (~130 ms) on every run. `compose exec` refuses a
stopped service itself, with `service "x" is not running` and exit code 1
before anything runs, so `retry_command` (which the runner calls once after a
failed run) recognises exactly that last line and turns it into emb's error
(exit 125, hint `emb up x`). The same goes for an unreachable daemon.
"""

from __future__ import annotations

from emb import compose
from emb.errors import UsageError
from emb.executors import Command, RunContext
from emb.model import Task

# compose exits 1 when it refuses to start the exec (service not running,
# daemon unreachable); a task's own failure could also be 1, so the stderr's
# last line must be compose's message too.
COMPOSE_REFUSED_EXIT = 1


def command(task: Task, ctx: RunContext) -> Command:
    service = _service(task)
    base = compose.compose_argv()
    compose.require_service(ctx.monorepo, service)
    tty = use_tty(task, ctx)
    argv = [*base, "exec"]
    if not tty:
        argv.append("-T")
    for name, value in task.vars.items():
        # One argv item each: the value reaches the container byte for byte.
        argv += ["-e", f"{name}={value}"]
    if task.workdir:
        argv += ["-w", task.workdir]
    argv += [service, "sh", "-c", task.script or ":"]
    return Command(
        argv=tuple(argv),
        cwd=ctx.monorepo.root,
        tty=tty,
        where=f"compose service {service}",
        details={"executor": "container", "service": service, "compose": " ".join(base)},
    )


def use_tty(task: Task, ctx: RunContext) -> bool:
    """A pseudo-terminal only for interactive tasks run from a terminal (SPEC §3)."""
    return bool(task.interactive and ctx.stdin_tty and ctx.stdout_tty)


def retry_command(task: Task, ctx: RunContext, result) -> Command | None:
    """Never retries; raises emb's error when compose refused to start the exec.

    `result` is the runner's RunResult (exit_code, stderr_tail).
    """
    if getattr(result, "exit_code", None) != COMPOSE_REFUSED_EXIT:
        return None
    error = explain_refusal(getattr(result, "stderr_tail", "") or "", _service(task))
    if error is not None:
        raise error
    return None


def explain_refusal(stderr_tail: str | bytes, service: str):
    """emb's error for compose's own refusal to exec, judged by the last stderr line only."""
    if isinstance(stderr_tail, bytes):
        stderr_tail = stderr_tail.decode("utf-8", "replace")
    last = compose.last_line(stderr_tail)
    if last == f'service "{service}" is not running':
        return compose.not_running_error(service)
    if last.startswith("Cannot connect to the Docker daemon") or last.startswith("error during connect"):
        return compose.classify_failure(last)
    return None


def _service(task: Task) -> str:
    if not task.component:
        raise UsageError(
            f"task {task.id} has no component, so it cannot run on container",
            ["container runs a component's task in the Compose service of the same name"],
        )
    return task.component
