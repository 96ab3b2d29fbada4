"""Which executor runs a task (SPEC §2), as pure functions.

The one fact that needs the outside world is "is the task's component a
Docker Compose service?". It costs a `docker compose config` call, so callers
pass it as a zero-argument callable and it is evaluated only when the
decision depends on it: never for `-x local`, never when the task declares
`executor`, never for project tasks.

Rules (SPEC §2), in order:
1. `-x/--executor` when given; it must be allowed for the task.
2. The task's `executor`.
3. The first *usable* entry of `executors`: `local` always; `container` when
   the component is a Compose service; `kubernetes` when the task has a
   component. When no entry is usable, the first entry is returned so its
   executor reports the precise reason (e.g. "api is not a Compose service,
   services: db, web").
4. The default: a component task runs in `container` when its component is a
   Compose service, else `local`; a project task runs `local`.

Allowed executors: `executors` when given; otherwise `local` for project
tasks and `container` (only if a Compose service), `local`, `kubernetes` for
component tasks. Project tasks can never use `container` or `kubernetes`.
"""

from __future__ import annotations

from typing import Callable, Union

from emb.errors import ConfigError, UsageError
from emb.model import COMPONENT_EXECUTORS, EXECUTOR_NAMES, Task, executor_problem
PROJECT_TASK_HINT = "project tasks cannot use container/kubernetes: they have no component to run in"

IsService = Union[bool, Callable[[], bool]]


class _Lazy:
    """Evaluate `is_service` at most once, and only when asked."""

    def __init__(self, is_service: IsService):
        self._source = is_service
        self._value: bool | None = None

    def __call__(self) -> bool:
        if self._value is None:
            source = self._source
            self._value = bool(source() if callable(source) else source)
        return self._value


def allowed_executors(task: Task, is_service: IsService) -> tuple[str, ...]:
    """The executors `task` may run on, in priority order (SPEC §2 "Allowed executors")."""
    return _allowed(task, _Lazy(is_service))


def _allowed(task: Task, is_service: _Lazy) -> tuple[str, ...]:
    if task.executors is not None:
        _check_declared(task)
        return tuple(task.executors)
    if task.component is None:
        return ("local",)
    if is_service():
        return ("container", "local", "kubernetes")
    return ("local", "kubernetes")


def choose_executor(task: Task, requested: str | None, is_service: IsService) -> str:
    """The executor that runs `task` (SPEC §2); raises UsageError/ConfigError with the reason."""
    lazy = _Lazy(is_service)
    _check_declared(task)
    if requested is not None:
        return _check_requested(task, requested, lazy)
    if task.executor is not None:
        return task.executor
    if task.executors:
        for name in task.executors:
            if _usable(task, name, lazy):
                return name
        return task.executors[0]
    if task.component is not None and lazy():
        return "container"
    return "local"


def choose_for_pre_task(task: Task, requested: str | None, is_service: IsService) -> str:
    """A task pulled in through `pre`: `-x` applies when the task allows it, else its own choice.

    `emb run -x kubernetes api:migrate` must not fail because a `pre` task is
    a project task (which can only run locally); the tasks named on the
    command line get the strict rule of `choose_executor`.
    """
    lazy = _Lazy(is_service)
    _check_declared(task)
    if requested is not None and requested in EXECUTOR_NAMES and _is_allowed(task, requested, lazy):
        return requested
    return choose_executor(task, None, lazy)


def _check_requested(task: Task, requested: str, is_service: _Lazy) -> str:
    if requested not in EXECUTOR_NAMES:
        raise UsageError(
            f"unknown executor {requested!r}",
            [f"executors: {', '.join(EXECUTOR_NAMES)}"],
        )
    if _is_allowed(task, requested, is_service):
        return requested
    allowed = _allowed(task, is_service)
    hints = []
    if task.component is None and requested in COMPONENT_EXECUTORS:
        hints.append(PROJECT_TASK_HINT)
    elif requested == "container" and task.executors is None:
        hints.append(f"component {task.component} is not a Docker Compose service")
    elif task.executors is not None:
        hints.append(f"the task's `executors` list is: {', '.join(task.executors)}")
    raise UsageError(
        f"task {task.id} cannot run on {requested} (allowed: {', '.join(allowed)})",
        hints,
    )


def _check_declared(task: Task) -> None:
    """Reject configurations SPEC §2 forbids (the config layer already reported
    them with file and line for tasks it loaded: same rule, emb.model)."""
    problem = executor_problem(task)
    if problem is not None:
        raise ConfigError(problem[1], list(problem[2]))


def _is_allowed(task: Task, name: str, is_service: _Lazy) -> bool:
    """`name in _allowed(task)`, asking Docker only when the answer depends on it
    (`-x local` or `-x kubernetes` on a component task never does)."""
    if task.executors is not None:
        return name in task.executors
    if task.component is None:
        return name == "local"
    return name != "container" or is_service()


def _usable(task: Task, name: str, is_service: _Lazy) -> bool:
    if name == "local":
        return True
    if task.component is None:
        return False
    if name == "kubernetes":
        return True
    return is_service()
