"""Kubernetes label selectors, pure: parse `-l` strings, match labels, read a
workload's spec.selector."""

from __future__ import annotations

import re
from typing import Any, Mapping, NamedTuple, Sequence

from emb.errors import UsageError


class Requirement(NamedTuple):
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        if self.op in ("=", "in"):
            return has and value in self.values
        # "!=" and "notin" match objects without the label too (Kubernetes semantics).
        return not has or value not in self.values


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


# Label keys are `[prefix/]name`, values `[A-Za-z0-9._-]*` (Kubernetes syntax rules).
_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_SET_REQ = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[A-Za-z0-9._,\s-]*)\)$")
_EQ_REQ = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>[A-Za-z0-9._-]*)$")


def parse_selector(selector: str) -> tuple[Requirement, ...]:
    """`app=api,tier in (a,b),!legacy` -> requirements; UsageError when malformed."""
    reqs = []
    for part in _split_top_level(selector):
        if m := _SET_REQ.match(part):
            values = tuple(v.strip() for v in m.group("values").split(",") if v.strip())
            reqs.append(Requirement(m.group("key"), m.group("op"), values))
        elif m := _EQ_REQ.match(part):
            op = "!=" if m.group("op") == "!=" else "="
            reqs.append(Requirement(m.group("key"), op, (m.group("value"),)))
        elif re.match(rf"^!\s*{_KEY}$", part):
            reqs.append(Requirement(part[1:].strip(), "!exists"))
        elif re.match(rf"^{_KEY}$", part):
            reqs.append(Requirement(part, "exists"))
        else:
            raise UsageError(
                f"invalid label selector {selector!r} (at {part!r})",
                ["selectors look like: app=api,tier=backend  or  app in (api,worker)"],
            )
    return tuple(reqs)


def selector_matches(
    selector: str | Sequence[Requirement], labels: Mapping[str, str] | None
) -> bool:
    reqs = parse_selector(selector) if isinstance(selector, str) else selector
    labels = labels or {}
    return bool(reqs) and all(r.matches(labels) for r in reqs)


def deployment_selector(deployment: Mapping[str, Any]) -> str:
    """A Deployment's spec.selector (matchLabels + matchExpressions) as a `-l` string."""
    sel = (deployment.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for expr in sel.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


