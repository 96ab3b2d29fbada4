"""The planner: task references, the `pre` graph's order, cycles."""

from __future__ import annotations

import pytest

from emb.errors import ConfigError, UsageError
from emb.model import Monorepo, Task
from emb.planner import plan, resolve_pre, resolve_reference
from tests import builders


def task(task_id: str, *pre: str, script: str | None = "true") -> Task:
    return builders.task(task_id, script=script, pre=pre)


def monorepo(*tasks: Task) -> Monorepo:
    return builders.monorepo(tasks=tasks)


def ids(tasks) -> list[str]:
    return [t.id for t in tasks]


# ----------------------------------------------------------------- references

REPO = monorepo(
    task("lint"),
    task("test"),
    task("api:test"),
    task("web:test"),
    task("api:migrate"),
    task("web:serve"),
)


@pytest.mark.parametrize(
    "ref,expected",
    [
        ("api:test", ["api:test"]),
        ("migrate", ["api:migrate"]),  # a bare name that only one task has
        ("serve", ["web:serve"]),
        ("test", ["test"]),  # an exact id wins over the tasks named `test`
        ("lint", ["lint"]),
    ],
)
def test_references(ref, expected):
    assert resolve_reference(REPO, ref) == expected


def test_all_matching_runs_every_task_with_that_name_in_declaration_order():
    assert ids(plan(REPO, ["test"], all_matching=True)) == ["test", "api:test", "web:test"]
    assert ids(plan(REPO, ["migrate"], all_matching=True)) == ["api:migrate"]


def test_an_ambiguous_name_lists_the_matches_and_suggests_a():
    repo = monorepo(task("api:test"), task("web:test"))
    with pytest.raises(UsageError) as caught:
        plan(repo, ["test"])
    err = caught.value
    assert err.message == "task name 'test' is ambiguous: it matches api:test, web:test"
    assert err.exit_code == 2
    assert any("-a/--all-matching" in h for h in err.hints)
    assert any("emb run api:test" in h for h in err.hints)


@pytest.mark.parametrize("typo,suggested", [("migrat", "migrate"), ("api:tset", "api:test"), ("lnit", "lint")])
def test_an_unknown_task_suggests_the_closest(typo, suggested):
    with pytest.raises(UsageError) as caught:
        plan(REPO, [typo])
    assert caught.value.message == f"unknown task {typo!r}"
    assert suggested in caught.value.hints[0]
    assert caught.value.hints[0].startswith("did you mean")


def test_an_unknown_task_without_a_close_match_points_to_the_list():
    with pytest.raises(UsageError) as caught:
        plan(REPO, ["zzzzzz"])
    assert caught.value.hints == ("list the tasks with `emb tasks`",)


def test_no_reference_is_a_usage_error():
    with pytest.raises(UsageError):
        plan(REPO, [])


# ----------------------------------------------------------------- order


def test_a_three_level_chain_runs_deepest_first():
    repo = monorepo(task("deploy", "test"), task("test", "build"), task("build"))
    assert ids(plan(repo, ["deploy"])) == ["build", "test", "deploy"]


def test_a_shared_pre_task_runs_once():
    repo = monorepo(
        task("all", "api:test", "web:test"),
        task("api:test", "install"),
        task("web:test", "install"),
        task("install"),
    )
    assert ids(plan(repo, ["all"])) == ["install", "api:test", "web:test", "all"]


def test_pre_tasks_keep_their_declared_order():
    repo = monorepo(task("z"), task("a"), task("m"), task("top", "z", "a", "m"))
    assert ids(plan(repo, ["top"])) == ["z", "a", "m", "top"]


def test_requested_tasks_keep_the_command_line_order():
    repo = monorepo(task("x", "px"), task("px"), task("y"))
    assert ids(plan(repo, ["y", "x"])) == ["y", "px", "x"]
    assert ids(plan(repo, ["x", "y"])) == ["px", "x", "y"]


def test_a_requested_task_already_needed_runs_once_in_dependency_order():
    repo = monorepo(task("b", "a"), task("a"))
    assert ids(plan(repo, ["b", "a"])) == ["a", "b"]
    assert ids(plan(repo, ["a", "b", "a"])) == ["a", "b"]


def test_a_task_with_only_pre_is_planned():
    repo = monorepo(task("all", "one", "two", script=None), task("one"), task("two"))
    planned = plan(repo, ["all"])
    assert ids(planned) == ["one", "two", "all"]
    assert planned[-1].script is None


def test_diamond_with_deeper_left_branch():
    # top needs left and right; left needs base; right needs left.
    repo = monorepo(task("top", "right", "left"), task("left", "base"), task("right", "left"), task("base"))
    order = ids(plan(repo, ["top"]))
    assert order == ["base", "left", "right", "top"]


# ----------------------------------------------------------------- cycles


@pytest.mark.parametrize(
    "tasks,ref,path",
    [
        ((task("a", "b"), task("b", "a")), "a", "a -> b -> a"),
        ((task("a", "a"),), "a", "a -> a"),
        ((task("a", "b"), task("b", "c"), task("c", "a")), "a", "a -> b -> c -> a"),
        ((task("top", "a"), task("a", "b"), task("b", "a")), "top", "a -> b -> a"),
    ],
)
def test_cycles_are_reported_with_their_path(tasks, ref, path):
    with pytest.raises(ConfigError) as caught:
        plan(monorepo(*tasks), [ref])
    assert caught.value.message == f"the `pre` tasks form a cycle: {path}"


def test_a_cycle_path_reads_in_pre_direction():
    # Whatever node graphlib starts from, each arrow must be a real `pre` edge.
    repo = monorepo(task("a", "b"), task("b", "c"), task("c", "a"))
    with pytest.raises(ConfigError) as caught:
        plan(repo, ["b"])
    nodes = caught.value.message.split(": ", 1)[1].split(" -> ")
    assert nodes[0] == nodes[-1]
    for before, after in zip(nodes, nodes[1:]):
        assert after in repo.tasks[before].pre


# ----------------------------------------------------------------- pre references

PRE_REPO = monorepo(
    task("build"),
    task("deploy"),
    task("api:build"),
    task("api:migrate", "build"),  # same component first: api:build
    task("api:seed", "deploy"),  # no api:deploy: the project task
    task("web:lint"),
    task("api:check", "lint"),  # nowhere else: the only task named lint
    task("api:all", "web:lint", "api:build"),  # ids
    task("release", "build"),  # a project task: the project's build
)


@pytest.mark.parametrize(
    "task_id,ref,expected",
    [
        ("api:migrate", "build", "api:build"),
        ("api:seed", "deploy", "deploy"),
        ("api:check", "lint", "web:lint"),
        ("api:all", "web:lint", "web:lint"),
        ("release", "build", "build"),
    ],
)
def test_pre_references(task_id, ref, expected):
    assert resolve_pre(PRE_REPO, PRE_REPO.tasks[task_id], ref) == expected


def test_an_ambiguous_pre_name_is_a_config_error():
    repo = monorepo(task("api:test"), task("web:test"), task("all", "test"))
    with pytest.raises(ConfigError) as caught:
        plan(repo, ["all"])
    assert caught.value.message == "task all: `pre` entry 'test' is ambiguous: it matches api:test, web:test"


def test_an_unknown_pre_entry_is_a_config_error_with_a_suggestion():
    repo = monorepo(task("build"), task("all", "biuld"))
    with pytest.raises(ConfigError) as caught:
        plan(repo, ["all"])
    assert caught.value.message == "task all: `pre` entry 'biuld' is not a task"
    assert "build" in caught.value.hints[0]


def test_a_pre_chain_of_thousands_of_tasks_is_planned_without_recursion():
    n = 5000  # well past Python's recursion limit (1000)
    repo = monorepo(*(task(f"t{i}", *([f"t{i + 1}"] if i < n - 1 else [])) for i in range(n)))
    assert ids(plan(repo, ["t0"])) == [f"t{i}" for i in reversed(range(n))]


def test_a_long_pre_cycle_is_still_named():
    n = 3000
    repo = monorepo(*(task(f"t{i}", f"t{(i + 1) % n}") for i in range(n)))
    with pytest.raises(ConfigError, match="the `pre` tasks form a cycle: t"):
        plan(repo, ["t0"])
