"""The one place resources read their settings: `params`, `defaults.docker`,
`defaults.build`, and the flavor's rebuild policy.

Today emb.config expands `${...}` eagerly, so the model holds final values;
when expansion becomes lazy, these functions are where it is asked for.
"""

from __future__ import annotations

from typing import Any, Mapping

from emb.model import Monorepo, Resource


def params(resource: Resource) -> Mapping[str, Any]:
    """The resource's `params:`, expanded."""
    return resource.params or {}


def docker_defaults(monorepo: Monorepo) -> Mapping[str, Any]:
    """`defaults.docker:`, expanded."""
    return (monorepo.defaults or {}).get("docker") or {}


def build_defaults(monorepo: Monorepo) -> Mapping[str, Any]:
    """`defaults.build:` ({concurrency})."""
    return (monorepo.defaults or {}).get("build") or {}


def rebuild_trigger(monorepo: Monorepo, resource: Resource) -> tuple[Mapping[str, Any], str]:
    """(trigger, source): the resource's `rebuildTrigger` (source "resource") > the
    flavor's `defaults.rebuildPolicy[type]` ("flavor") > {strategy: auto} ("builtin")."""
    if resource.rebuild_trigger:
        return resource.rebuild_trigger, "resource"
    policy = (monorepo.rebuild_policy or {}).get(resource.type)
    if policy:
        return policy, "flavor"
    return {"strategy": "auto"}, "builtin"


def text(value: Any) -> str:
    """A YAML scalar as the text docker gets (true -> "true", 3 -> "3"), trimmed as EMB 0.30 does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()
