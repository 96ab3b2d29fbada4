"""The `emb run` flow in-process: executor wiring, retries, Docker asked only when needed,
dry-run lines, confirm expansion. Executors are replaced by small fakes running real `sh`."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from emb import confirm, executors
from emb.cli.common import Globals
from emb.cli.run import Options, RunFlow, choose_executors, command_line
from emb.errors import CannotStart
from emb.executors import Command
from emb.model import Component, Confirm, Monorepo, Task


def repo(tmp_path: Path, *tasks: Task) -> Monorepo:
    (tmp_path / "api").mkdir(exist_ok=True)
    return Monorepo(
        name="demo", root=tmp_path, config_file=tmp_path / ".emb.yml", flavor=None,
        components={"api": Component(name="api", root_dir=tmp_path / "api", rel_dir="api")},
        tasks={t.id: t for t in tasks},
    )


def flow(monorepo: Monorepo, *refs: str, **options) -> RunFlow:
    g = Globals()
    g._monorepo = monorepo
    return RunFlow(g, Options(refs=list(refs), **options))


@pytest.fixture
def fake_kubernetes(monkeypatch):
    """Stand-in for the kubernetes executor module: command + retry_command, recorded."""
    module = types.SimpleNamespace(calls=[], retries=[])

    def command(task, ctx):
        module.calls.append(task.id)
        return Command(argv=("sh", "-c", module.script), where="pod fake-1")

    def retry_command(task, ctx, result):
        module.retries.append(result.exit_code)
        return module.retry(task, ctx, result)

    module.command = command
    module.retry_command = retry_command
    real_get = executors.get
    monkeypatch.setattr(executors, "get", lambda name: module if name == "kubernetes" else real_get(name))
    return module


def k8s_task() -> Task:
    return Task(id="api:job", name="job", component="api", script="ignored", executor="kubernetes")


def test_a_failed_run_is_retried_once_with_the_executors_new_command(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "echo first-attempt; exit 5"
    fake_kubernetes.retry = lambda task, ctx, result: Command(argv=("sh", "-c", "echo second-attempt"), where="pod fake-2")
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
    fake_kubernetes.retry = lambda task, ctx, result: None
    assert flow(repo(tmp_path, k8s_task()), "api:job").run() == 5
    assert fake_kubernetes.retries == [5]


def test_a_successful_run_is_not_retried(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "true"
    fake_kubernetes.retry = lambda task, ctx, result: pytest.fail("retried a success")
    assert flow(repo(tmp_path, k8s_task()), "api:job").run() == 0
    assert fake_kubernetes.retries == []


def test_retry_command_may_explain_the_failure(tmp_path, capfd, fake_kubernetes):
    fake_kubernetes.script = "echo 'error: unable to upgrade connection' >&2; exit 1"

    def explain(task, ctx, result):
        assert b"unable to upgrade connection" in result.stderr_tail
        raise CannotStart("cannot exec into pod fake-1")

    fake_kubernetes.retry = explain
    with pytest.raises(CannotStart) as caught:
        flow(repo(tmp_path, k8s_task()), "api:job").run()
    assert caught.value.exit_code == 125


def test_the_run_stops_at_the_first_failure(tmp_path, capfd):
    monorepo = repo(
        tmp_path,
        Task(id="a", name="a", script="echo a; exit 4"),
        Task(id="b", name="b", script="echo b", pre=("a",)),
    )
    assert flow(monorepo, "b").run() == 4
    assert capfd.readouterr().out == "a\n"


def test_cannot_start_raised_by_an_executor_propagates(tmp_path, monkeypatch):
    def refuse(task, ctx):
        raise CannotStart("no ready pod")

    monkeypatch.setattr(executors, "get", lambda name: types.SimpleNamespace(command=refuse))
    with pytest.raises(CannotStart):
        flow(repo(tmp_path, k8s_task()), "api:job").run()


# ----------------------------------------------------------------- Docker only when needed


@pytest.fixture
def compose_calls(monkeypatch):
    import emb.compose

    calls = []

    def services(monorepo):
        calls.append(monorepo.name)
        return frozenset({"api"})

    monkeypatch.setattr(emb.compose, "compose_services", services)
    return calls


def test_compose_is_not_asked_when_no_choice_depends_on_it(tmp_path, compose_calls):
    monorepo = repo(
        tmp_path,
        Task(id="lint", name="lint", script="true"),
        Task(id="api:a", name="a", component="api", script="true", executor="kubernetes"),
        Task(id="api:b", name="b", component="api", script="true", pre=("lint", "a")),
    )
    steps = choose_executors(monorepo, [monorepo.tasks[i] for i in ("lint", "api:a", "api:b")], {"api:b"}, "local")
    assert [s.executor for s in steps] == ["local", "local", "local"]
    assert compose_calls == []


def test_compose_is_asked_once_for_defaults(tmp_path, compose_calls):
    monorepo = repo(
        tmp_path,
        Task(id="api:a", name="a", component="api", script="true"),
        Task(id="api:b", name="b", component="api", script="true"),
    )
    steps = choose_executors(monorepo, list(monorepo.tasks.values()), {"api:a", "api:b"}, None)
    assert [s.executor for s in steps] == ["container", "container"]
    assert compose_calls == ["demo"]


def test_x_applies_to_pre_tasks_only_where_allowed(tmp_path, compose_calls):
    monorepo = repo(
        tmp_path,
        Task(id="build", name="build", script="true"),
        Task(id="api:migrate", name="migrate", component="api", script="true", pre=("build",)),
    )
    steps = choose_executors(monorepo, list(monorepo.tasks.values()), {"api:migrate"}, "kubernetes")
    assert [(s.task.id, s.executor) for s in steps] == [("build", "local"), ("api:migrate", "kubernetes")]


# ----------------------------------------------------------------- dry-run line and confirm text


@pytest.mark.parametrize(
    "env,argv,line",
    [
        ({}, ("sh", "-c", "echo hi"), "sh -c 'echo hi'"),
        ({"A": "x y"}, ("sh", "-c", "echo $A"), "env A='x y' sh -c 'echo $A'"),
        ({"Q": "it's"}, ("true",), "env Q='it'\"'\"'s' true"),
    ],
)
def test_command_line_is_runnable_shell(env, argv, line):
    assert command_line(Command(argv=argv, env=env)) == line


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Wipe $ENV?", "Wipe prod?"),
        ("Wipe ${ENV}!", "Wipe prod!"),
        ("from env: $FROM_ENV", "from env: outside"),
        ("unknown $NOPE and ${NOPE} stay", "unknown $NOPE and ${NOPE} stay"),
        ("price: 5$", "price: 5$"),
        ("no second pass: $TRICKY", "no second pass: $ENV"),
    ],
)
def test_confirm_expansion(text, expected):
    assert confirm.expand(text, {"ENV": "prod", "TRICKY": "$ENV"}, {"FROM_ENV": "outside"}) == expected


def test_confirm_texts_default_to_yes():
    task = Task(id="t", name="t", script="true", vars={"E": "qa"}, confirm=Confirm("Go to $E?"))
    assert confirm.expanded(task) == ("Go to qa?", "yes")
    task = Task(id="t", name="t", script="true", vars={"E": "qa"}, confirm=Confirm("Go?", "${E}-now"))
    assert confirm.expanded(task) == ("Go?", "qa-now")


def test_durations_read_well_at_every_scale():
    from emb.cli.run import _duration

    assert _duration(0.0034) == "3 ms"
    assert _duration(0.999) == "999 ms"
    assert _duration(1.5) == "1.50s"
    assert _duration(125) == "2m05s"
