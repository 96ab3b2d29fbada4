"""Task references -> the ordered list of tasks to run (SPEC §1 "Tasks").

References on the command line
- An exact task id wins (`test` is the project task `test` even when
  components also have a `test` task; `api:test` is that component's task).
- Otherwise a bare name must match exactly one task's name. Several matches
  are an error listing them, unless `-a/--all-matching` asks for all of them.
- With `-a`, a reference runs every task whose id or name equals it.
- Unknown references are errors suggesting the closest ids/names.

References inside `pre`
- An id (`api:build`, or a project task's id) is that task.
- A bare name inside a component task prefers the same component's task
  (`api:migrate` with `pre: [build]` means `api:build`), then the project
  task of that name, then the only task anywhere with that name.
- A bare name inside a project task means the project task of that name,
  then the only task anywhere with that name.
- Anything else (unknown, ambiguous) is a configuration error.

Order (emb.graph): every task after its `pre` tasks, `pre` tasks in their
declared order, requested tasks in command-line order, each task once; a
cycle is an error printing it: `a -> b -> a`, read "a needs b, which needs a".
"""

from __future__ import annotations

from emb import graph
from emb.errors import ConfigError, UsageError
from emb.model import Monorepo, Task, pre_matches


def plan(monorepo: Monorepo, refs: list[str], all_matching: bool = False) -> list[Task]:
    """The tasks to run for `refs`, with their `pre` tasks, in run order."""
    if not refs:
        raise UsageError("no task given", ["list the tasks with `emb tasks`"])
    requested: list[str] = []
    for ref in refs:
        for task_id in resolve_reference(monorepo, ref, all_matching):
            if task_id not in requested:
                requested.append(task_id)
    return [monorepo.tasks[i] for i in run_order(monorepo, requested)]


def resolve_reference(monorepo: Monorepo, ref: str, all_matching: bool = False) -> list[str]:
    """The task ids a command-line reference stands for."""
    tasks = monorepo.tasks
    by_name = [t.id for t in tasks.values() if t.name == ref]
    if all_matching:
        matches = [t.id for t in tasks.values() if t.id == ref or t.name == ref]
        if matches:
            return matches
    if ref in tasks:
        return [ref]
    if len(by_name) == 1:
        return by_name
    if len(by_name) > 1:
        raise UsageError(
            f"task name {ref!r} is ambiguous: it matches {', '.join(by_name)}",
            [
                f"run them all with -a/--all-matching (emb run -a {ref})",
                f"or name one by its id, e.g. emb run {by_name[0]}",
            ],
        )
    raise UsageError(f"unknown task {ref!r}", _suggestions(monorepo, ref))


def run_order(monorepo: Monorepo, requested: list[str]) -> list[str]:
    """`requested` and everything they need through `pre`, each once, in run order."""
    deps, rank = graph.closure(
        requested, lambda task_id: [resolve_pre(monorepo, monorepo.tasks[task_id], p)
                                    for p in monorepo.tasks[task_id].pre])
    return graph.order(deps, rank, cycle_message="the `pre` tasks form a cycle",
                       cycle_hint="remove one of these `pre` entries")


def resolve_pre(monorepo: Monorepo, task: Task, ref: str) -> str:
    """The task id a `pre` entry of `task` stands for (rule: emb.model.pre_matches)."""
    matches = pre_matches(monorepo.tasks, task, ref)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(
            f"task {task.id}: `pre` entry {ref!r} is ambiguous: it matches {', '.join(matches)}",
            ["use a task id (component:name) in `pre`"],
        )
    raise ConfigError(f"task {task.id}: `pre` entry {ref!r} is not a task", _suggestions(monorepo, ref))


def _suggestions(monorepo: Monorepo, ref: str) -> list[str]:
    import difflib  # only on the error path: start-up stays fast

    words = list(dict.fromkeys([*monorepo.tasks, *(t.name for t in monorepo.tasks.values())]))
    close = difflib.get_close_matches(ref, words, n=3, cutoff=0.6)
    if close:
        return [f"did you mean: {', '.join(close)}?", "list the tasks with `emb tasks`"]
    return ["list the tasks with `emb tasks`"]
