"""Order a dependency graph (graphlib): every node after the nodes it needs.

Shared by the task planner (`pre`) and resource builds (`dependencies`).
Among the nodes ready at a time, the one met first by a depth-first walk
from the requested nodes comes first, so the order is the declared one and
not graphlib's level order. A cycle is a ConfigError that prints it.
"""

from __future__ import annotations

import graphlib
from typing import Callable, Iterable, Mapping, Sequence

from emb.errors import ConfigError


def closure(requested: Iterable[str], needs: Callable[[str], Sequence[str]]) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The requested nodes and everything they need: ({node: its needs}, depth-first rank)."""
    deps: dict[str, list[str]] = {}
    rank: dict[str, int] = {}
    # Depth-first, post-order, with an explicit stack: a chain of thousands of
    # `pre` tasks must not hit Python's recursion limit.
    for root in requested:
        if root in deps:
            continue
        deps[root] = list(needs(root))
        stack = [(root, iter(deps[root]))]
        while stack:
            node, pending = stack[-1]
            for dep in pending:
                if dep not in deps:
                    deps[dep] = list(needs(dep))
                    stack.append((dep, iter(deps[dep])))
                    break
            else:
                stack.pop()
                rank[node] = len(rank)
    return deps, rank


def order(deps: Mapping[str, Sequence[str]], rank: Mapping[str, int], *, cycle_message: str,
          cycle_hint: str) -> list[str]:
    """A topological order of `deps`; a cycle raises ConfigError(f"{cycle_message}: a -> b -> a")."""
    sorter = graphlib.TopologicalSorter(deps)
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        # err.args[1] lists nodes each a predecessor of the next (b, a, b: a needs b):
        # reversed, it reads in dependency direction ("a needs b, which needs a").
        cycle = list(reversed(err.args[1]))
        raise ConfigError(f"{cycle_message}: {' -> '.join(cycle)}", [cycle_hint]) from None
    result: list[str] = []
    ready: list[str] = []
    while sorter.is_active():
        ready.extend(sorter.get_ready())
        ready.sort(key=rank.__getitem__)
        node = ready.pop(0)
        result.append(node)
        sorter.done(node)
    return result
