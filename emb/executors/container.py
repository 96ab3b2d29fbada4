"""The container executor: run a task in its component's Docker Compose service.

    <compose> exec [-T] [-e K ...] [-w WORKDIR] SERVICE sh -c LAUNCHER emb SCRIPT [ARG...]

(emb.executors.script: errexit, bash when the image has it, decided in the container.)
The task's vars reach the container through `-e K` with the value in
compose's own environment (Command.env), never on the command line.

Checks before running, without a docker call in the usual case: the CLI is
installed, a compose file applies, and the component is a service (the
service list is cached on disk by emb.docker.compose).

Whether the service is *running* is not asked beforehand: that would cost a
second `docker compose` call (~130 ms) on every run. `compose exec` refuses a
stopped service itself, with `service "x" is not running` and exit code 1
before anything runs, so `after_failure` recognises exactly that last line
and turns it into emb's error (exit 125, hint `emb up x`). The same goes for
an unreachable daemon.
"""

from __future__ import annotations

from emb import launch
from emb.docker import compose
from emb.docker.engine import is_daemon_refusal
from emb.errors import EmbError, UsageError
from emb.executors import RunContext
from emb.executors.script import script_argv
from emb.model import Component, Task
from emb.process.command import Command, RunResult

# compose exits 1 when it refuses to start the exec (service not running,
# daemon unreachable); a task's own failure could also be 1, so the stderr's
# last line must be compose's message too.
COMPOSE_REFUSED_EXIT = 1


class ContainerExecutor:
    name = "container"

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self._last_service: str = ""  # the service of the last shell session

    def command(self, task: Task) -> Command:
        service = _service(task)
        base = compose.compose_argv()
        compose.require_service(self.ctx.monorepo, service)
        tty = self.ctx.use_tty(task.interactive)
        argv = [*base, "exec"]
        if not tty:
            argv.append("-T")
        env = {}
        for name, value in task.vars.items():
            if name in launch.TOOL_VARIABLES:
                # compose's own PATH/DOCKER_* stay emb's (they choose its helpers): these
                # names, never secrets by nature, go on the command line.
                argv += ["-e", f"{name}={value}"]
            else:
                # `-e NAME` alone: compose takes the value from its environment, so it
                # is not on a command line every local user can read (ps, /proc).
                argv += ["-e", name]
                env[name] = str(value)
        if task.workdir:
            argv += ["-w", task.workdir]
        argv += [service, *script_argv(task.script or ":", self.ctx.task_args(task))]
        return Command(
            argv=tuple(argv),
            env=env,
            cwd=self.ctx.monorepo.root,
            tty=tty,
            tool=True,
            where=f"compose service {service}",
            details={"executor": "container", "service": service, "compose": " ".join(base)},
        )

    def after_failure(self, task: Task | None, result: RunResult) -> Command | None:
        """Never retries; raises emb's error when compose refused to start the exec."""
        if result.exit_code != COMPOSE_REFUSED_EXIT:
            return None
        service = self._last_service if task is None else _service(task)
        error = explain_refusal(result.stderr_tail, service)
        if error is not None:
            raise error
        return None

    def shell_command(self, component: Component, shell: str | None) -> Command:
        monorepo = self.ctx.monorepo
        compose.require_service(monorepo, component.name)
        self._last_service = component.name
        tty = self.ctx.use_tty(True)
        # Without a terminal (a pipe, CI) the shell still runs, reading stdin (-T).
        argv = [*compose.compose_argv(), "exec", *([] if tty else ["-T"]), component.name, shell or "sh"]
        return Command(argv=tuple(argv), cwd=monorepo.root, tty=tty, where=f"compose service {component.name}",
                       tool=True)


def explain_refusal(stderr_tail: str | bytes, service: str) -> EmbError | None:
    """emb's error for compose's own refusal to exec, judged by the last stderr line only."""
    if isinstance(stderr_tail, bytes):
        stderr_tail = stderr_tail.decode("utf-8", "replace")
    last = compose.last_line(stderr_tail)
    if last == f'service "{service}" is not running':
        return compose.not_running_error(service)
    if is_daemon_refusal(last):
        return compose.classify_failure(last)
    return None


def _service(task: Task) -> str:
    if not task.component:
        raise UsageError(
            f"task {task.id} has no component, so it cannot run on container",
            ["container runs a component's task in the Compose service of the same name"],
        )
    return task.component
