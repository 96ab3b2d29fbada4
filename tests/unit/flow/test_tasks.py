"""The `emb run` flow in-process: executor wiring, retries, Docker asked only when needed.
Executors are the fakes of conftest.py, running real `sh`."""

from __future__ import annotations

from pathlib import Path

import pytest

from emb.errors import CannotStart
from emb.flow.tasks import Options, RunFlow, choose_executors
from emb.model import Monorepo, Task
from emb.process.command import Command
from tests.builders import monorepo, task


def repo(tmp_path: Path, *tasks: Task) -> Monorepo:
    return monorepo(tmp_path, tasks=tasks, components=["api"], mkdirs=True)


def flow(monorepo: Monorepo, *refs: str, **options) -> RunFlow:
    return RunFlow(monorepo, Options(refs=list(refs), **options))


def k8s_task(name: str = "job") -> Task:
    return task(f"api:{name}", script="ignored", executor="kubernetes")


def test_a_failed_run_is_retried_once_with_the_executors_new_command(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "echo first-attempt; exit 5"
    fake_kubernetes.retry = lambda task, result: Command(argv=("sh", "-c", "echo second-attempt"), where="pod fake-2")
    monorepo = repo(tmp_path, k8s_task())
    assert flow(monorepo, "api:job").run() == 0
    out, err = capfd.readouterr()
    assert out == "first-attempt\nsecond-attempt\n"
    assert "emb: retrying api:job (pod fake-2)" in err
    assert fake_kubernetes.retries == [5]
    log = tmp_path / ".emb" / "default" / "logs" / "tasks" / "api__job.log"
    assert log.read_text() == "first-attempt\nsecond-attempt\n"


def test_no_retry_command_means_the_failure_stands(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "exit 5"
    fake_kubernetes.retry = lambda task, result: None
    assert flow(repo(tmp_path, k8s_task()), "api:job").run() == 5
    assert fake_kubernetes.retries == [5]


def test_a_successful_run_is_not_retried(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "true"
    fake_kubernetes.retry = lambda task, result: pytest.fail("retried a success")
    assert flow(repo(tmp_path, k8s_task()), "api:job").run() == 0
    assert fake_kubernetes.retries == []


def test_retry_command_may_explain_the_failure(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "echo 'error: unable to upgrade connection' >&2; exit 1"

    def explain(task, result):
        assert b"unable to upgrade connection" in result.stderr_tail
        raise CannotStart("cannot exec into pod fake-1")

    fake_kubernetes.retry = explain
    with pytest.raises(CannotStart) as caught:
        flow(repo(tmp_path, k8s_task()), "api:job").run()
    assert caught.value.exit_code == 125


def test_the_run_stops_at_the_first_failure(tmp_path, capfd):
    monorepo = repo(
        tmp_path,
        task("a", script="echo a; exit 4"),
        task("b", script="echo b", pre=("a",)),
    )
    assert flow(monorepo, "b").run() == 4
    assert capfd.readouterr().out == "a\n"


def test_cannot_start_raised_by_an_executor_propagates(tmp_path, fake_kubernetes):
    fake_kubernetes.refuse = CannotStart("no ready pod")
    with pytest.raises(CannotStart):
        flow(repo(tmp_path, k8s_task()), "api:job").run()


def test_one_executor_per_name_per_flow(tmp_path, capfd, fake_executors, fake_kubernetes):
    monorepo = repo(tmp_path, k8s_task("one"), k8s_task("two"))
    assert flow(monorepo, "api:one", "api:two").run() == 0
    assert fake_kubernetes.calls == ["api:one", "api:two"]
    assert fake_executors.created == ["kubernetes"]
    assert fake_kubernetes.ctx.monorepo is monorepo
    assert flow(monorepo, "api:one").run() == 0  # a new flow, a new invocation: a new executor
    assert fake_executors.created == ["kubernetes", "kubernetes"]


# ----------------------------------------------------------------- Docker only when needed


def test_compose_is_not_asked_when_no_choice_depends_on_it(tmp_path, compose_calls):
    monorepo = repo(
        tmp_path,
        task("lint", script="true"),
        task("api:a", script="true", executor="kubernetes"),
        task("api:b", script="true", pre=("lint", "a")),
    )
    steps = choose_executors(monorepo, [monorepo.tasks[i] for i in ("lint", "api:a", "api:b")], {"api:b"}, "local")
    assert [s.executor for s in steps] == ["local", "local", "local"]
    assert compose_calls == []


def test_compose_is_asked_once_for_defaults(tmp_path, compose_calls):
    monorepo = repo(
        tmp_path,
        task("api:a", script="true"),
        task("api:b", script="true"),
    )
    steps = choose_executors(monorepo, list(monorepo.tasks.values()), {"api:a", "api:b"}, None)
    assert [s.executor for s in steps] == ["container", "container"]
    assert compose_calls == ["demo"]


def test_x_applies_to_pre_tasks_only_where_allowed(tmp_path, compose_calls):
    monorepo = repo(
        tmp_path,
        task("build", script="true"),
        task("api:migrate", script="true", pre=("build",)),
    )
    steps = choose_executors(monorepo, list(monorepo.tasks.values()), {"api:migrate"}, "kubernetes")
    assert [(s.task.id, s.executor) for s in steps] == [("build", "local"), ("api:migrate", "kubernetes")]
