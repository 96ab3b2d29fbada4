"""The one seam of the flow tests: `emb.executors.create` hands out fake
executors (real `sh` scripts as their commands), and
`emb.docker.compose.compose_services` answers the service question."""

from __future__ import annotations

from typing import Callable

import pytest

from emb import executors
from emb.docker import compose
from emb.executors import RunContext
from emb.model import Component, Task
from emb.process.command import Command, RunResult

REAL_CREATE = executors.create


class FakeExecutor:
    """An executor (the emb.executors.Executor protocol, in full) whose command
    runs `script` under real `sh`, recording what the flow asked of it."""

    def __init__(self, name: str):
        self.name = name
        self.ctx: RunContext | None = None
        self.script = "true"
        self.where = "pod fake-1"
        # after_failure's answer: None, a fresh Command, or raise; `(task, result) -> Command | None`.
        self.retry: Callable[[Task | None, RunResult], Command | None] = lambda task, result: None
        self.refuse: Exception | None = None  # raised by command() when set
        self.calls: list[str] = []  # task ids command() was asked for
        self.retries: list[int] = []  # exit codes after_failure was given

    def command(self, task: Task) -> Command:
        self.calls.append(task.id)
        if self.refuse is not None:
            raise self.refuse
        return Command(argv=("sh", "-c", self.script), where=self.where)

    def after_failure(self, task: Task | None, result: RunResult) -> Command | None:
        self.retries.append(result.exit_code)
        return self.retry(task, result)

    def shell_command(self, component: Component, shell: str | None) -> Command:
        return Command(argv=(shell or "sh",), where=self.where)


class FakeExecutors:
    """Stands in for `emb.executors.create`: the names faked get their
    FakeExecutor, the others the real executor."""

    def __init__(self):
        self.fakes: dict[str, FakeExecutor] = {}
        self.created: list[str] = []  # executor names, once per create() call

    def __getitem__(self, name: str) -> FakeExecutor:
        return self.fakes.setdefault(name, FakeExecutor(name))

    def create(self, name: str, ctx: RunContext):
        self.created.append(name)
        if name not in self.fakes:
            return REAL_CREATE(name, ctx)
        fake = self.fakes[name]
        fake.ctx = ctx
        return fake


@pytest.fixture
def fake_executors(monkeypatch) -> FakeExecutors:
    made = FakeExecutors()
    monkeypatch.setattr(executors, "create", made.create)
    return made


@pytest.fixture
def fake_kubernetes(fake_executors) -> FakeExecutor:
    """The kubernetes executor, faked (the others stay real)."""
    return fake_executors["kubernetes"]


@pytest.fixture
def compose_calls(monkeypatch) -> list[str]:
    """The service question: every component named `api` is a Compose service;
    the list records each time Docker would have been asked."""
    calls: list[str] = []

    def services(monorepo):
        calls.append(monorepo.name)
        return frozenset({"api"})

    monkeypatch.setattr(compose, "compose_services", services)
    return calls
