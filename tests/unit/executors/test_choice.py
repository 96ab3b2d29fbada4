"""SPEC §2 executor choice, table-driven: every rule, every error message, and laziness."""

from __future__ import annotations

import pytest

from emb.errors import ConfigError, UsageError
from emb.executors.choice import allowed_executors, choose_executor, choose_for_pre_task
from emb.model import Task
from tests.builders import task


def project(**kw) -> Task:
    return task("build", script="true", **kw)


def component(**kw) -> Task:
    return task("api:migrate", script="true", **kw)


class Tripwire:
    """is_service that must not be consulted."""

    def __call__(self) -> bool:
        raise AssertionError("is_service was consulted but the decision does not need it")


class Counter:
    def __init__(self, value: bool):
        self.value = value
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.value


NEVER = Tripwire()

# (task, -x, is_service, expected executor)
CHOICES = [
    # 4. defaults
    (project(), None, NEVER, "local"),
    (component(), None, True, "container"),
    (component(), None, False, "local"),
    # 1. -x when allowed (no Docker question unless -x container)
    (project(), "local", NEVER, "local"),
    (component(), "local", NEVER, "local"),
    (component(), "kubernetes", NEVER, "kubernetes"),
    (component(), "container", True, "container"),
    (component(executors=("container", "local")), "local", NEVER, "local"),
    (component(executors=("kubernetes",)), "kubernetes", NEVER, "kubernetes"),
    (component(executor="kubernetes"), "local", NEVER, "local"),
    # 2. the task's executor, without asking Docker
    (component(executor="kubernetes"), None, NEVER, "kubernetes"),
    (component(executor="container"), None, NEVER, "container"),
    (component(executor="local", executors=("container", "local")), None, NEVER, "local"),
    (project(executor="local"), None, NEVER, "local"),
    # 3. first usable entry of executors
    (component(executors=("container", "local")), None, True, "container"),
    (component(executors=("container", "local")), None, False, "local"),
    (component(executors=("kubernetes", "local")), None, NEVER, "kubernetes"),
    (component(executors=("local", "container")), None, NEVER, "local"),
    (component(executors=("container", "kubernetes")), None, False, "kubernetes"),
    # nothing usable: the first entry, so its executor explains why
    (component(executors=("container",)), None, False, "container"),
    (project(executors=("local",)), None, NEVER, "local"),
]


@pytest.mark.parametrize("task,requested,is_service,expected", CHOICES)
def test_choose_executor(task, requested, is_service, expected):
    assert choose_executor(task, requested, is_service) == expected


# (task, -x, is_service, message, a hint that must be present or None)
ERRORS = [
    (component(executors=("container", "local")), "kubernetes", NEVER,
     "task api:migrate cannot run on kubernetes (allowed: container, local)",
     "the task's `executors` list is: container, local"),
    (component(), "container", False,
     "task api:migrate cannot run on container (allowed: local, kubernetes)",
     "component api is not a Docker Compose service"),
    (project(), "container", NEVER,
     "task build cannot run on container (allowed: local)",
     "project tasks cannot use container/kubernetes: they have no component to run in"),
    (project(), "kubernetes", NEVER,
     "task build cannot run on kubernetes (allowed: local)",
     "project tasks cannot use container/kubernetes: they have no component to run in"),
    (component(executors=("local",)), "container", NEVER,
     "task api:migrate cannot run on container (allowed: local)",
     "the task's `executors` list is: local"),
    (component(), "docker", NEVER, "unknown executor 'docker'", "executors: local, container, kubernetes"),
]


@pytest.mark.parametrize("task,requested,is_service,message,hint", ERRORS)
def test_choose_executor_refuses(task, requested, is_service, message, hint):
    with pytest.raises(UsageError) as caught:
        choose_executor(task, requested, is_service)
    assert caught.value.message == message
    assert caught.value.exit_code == 2
    assert hint in caught.value.hints


# Configurations SPEC §2 forbids: one rule (emb.model.executor_problem), worded as the
# config layer reports it with file and line for the tasks it loads.
CONFIG_ERRORS = [
    (project(executor="container"), "project task build cannot use the container executor (it needs a component)"),
    (project(executors=("local", "kubernetes")),
     "project task build cannot use the kubernetes executor (it needs a component)"),
    (component(executor="kubernetes", executors=("container", "local")),
     "task api:migrate: executor 'kubernetes' is not in its executors (container, local)"),
    (component(executors=()), "task api:migrate: `executors` is empty"),
    (component(executor="ssh"), "task api:migrate: unknown executor 'ssh'"),
]


@pytest.mark.parametrize("task,message", CONFIG_ERRORS)
def test_forbidden_configurations(task, message):
    with pytest.raises(ConfigError) as caught:
        choose_executor(task, None, False)
    assert caught.value.message == message


ALLOWED = [
    (project(), NEVER, ("local",)),
    (component(), True, ("container", "local", "kubernetes")),
    (component(), False, ("local", "kubernetes")),
    (component(executors=("kubernetes", "local")), NEVER, ("kubernetes", "local")),
    (component(executors=("container",)), NEVER, ("container",)),
]


@pytest.mark.parametrize("task,is_service,expected", ALLOWED)
def test_allowed_executors(task, is_service, expected):
    assert allowed_executors(task, is_service) == expected


def test_is_service_is_asked_at_most_once():
    counter = Counter(False)
    assert choose_executor(component(), None, counter) == "local"
    assert counter.calls == 1
    counter = Counter(False)
    with pytest.raises(UsageError):
        choose_executor(component(), "container", counter)
    assert counter.calls == 1


def test_a_plain_bool_is_accepted():
    assert choose_executor(component(), None, True) == "container"
    assert allowed_executors(component(), False) == ("local", "kubernetes")


PRE_TASKS = [
    # -x applies to a pre task when it allows it...
    (component(), "kubernetes", NEVER, "kubernetes"),
    (project(), "local", NEVER, "local"),
    # ...otherwise the pre task keeps its own choice instead of failing the run
    (project(), "kubernetes", NEVER, "local"),
    (component(executors=("container", "local")), "kubernetes", True, "container"),
    (component(executor="local", executors=("local",)), "container", NEVER, "local"),
]


@pytest.mark.parametrize("task,requested,is_service,expected", PRE_TASKS)
def test_pre_tasks_use_x_only_when_allowed(task, requested, is_service, expected):
    assert choose_for_pre_task(task, requested, is_service) == expected
