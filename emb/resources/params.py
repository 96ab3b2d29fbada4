"""The one place resources read their settings: `params`, `defaults.docker`,
`defaults.build`, and the flavor's rebuild policy.

`${...}` is expanded when a value is used (SPEC §1), by emb.config.values; the
results are kept per monorepo and resource, since a build asks several times.
"""

from __future__ import annotations

from typing import Any, Mapping

from emb.config import values
from emb.model import Monorepo, Resource

_cache: dict[tuple, tuple[Any, Any, Any]] = {}  # (id(monorepo), id(of)) -> (monorepo, of, value)


def _memo(monorepo: Monorepo, of: Any, compute):
    """compute() once per (monorepo, object) pair, held by identity (records are not hashable)."""
    key = (id(monorepo), id(of))
    found = _cache.get(key)
    if found is not None and found[0] is monorepo and found[1] is of:
        return found[2]
    value = compute()
    _cache[key] = (monorepo, of, value)
    return value


def params(monorepo: Monorepo, resource: Resource) -> Mapping[str, Any]:
    """The resource's `params:`, expanded (an unset variable: a ConfigError naming the resource)."""
    return _memo(monorepo, resource, lambda: values.resource_params(monorepo, resource))


def docker_defaults(monorepo: Monorepo) -> Mapping[str, Any]:
    """`defaults.docker:`, expanded."""
    return _memo(monorepo, "defaults.docker", lambda: values.docker_defaults(monorepo))


def build_defaults(monorepo: Monorepo) -> Mapping[str, Any]:
    """`defaults.build:` ({concurrency}), expanded."""
    return _memo(monorepo, "defaults.build", lambda: values.expand_value(
        monorepo, dict((monorepo.defaults or {}).get("build") or {}), ("defaults", "build")))


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
