"""Bearer tokens -> users, and per-user RBAC rules (verbs x resources).

Rules are deliberately small: a list of {"verbs": [...], "resources": [...]} with
"*" wildcards; subresources are named like RBAC does ("pods/exec", "pods/log").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    namespaces: tuple[str, ...] = ("*",)

    def allows(self, verb: str, resource: str, namespace: str | None) -> bool:
        return (("*" in self.verbs or verb in self.verbs)
                and ("*" in self.resources or resource in self.resources)
                and ("*" in self.namespaces or (namespace or "") in self.namespaces))


@dataclass
class User:
    name: str
    token: str
    rules: list[Rule] = field(default_factory=list)

    def can(self, verb: str, resource: str, namespace: str | None) -> bool:
        return any(r.allows(verb, resource, namespace) for r in self.rules)


ADMIN_RULES = [Rule(("*",), ("*",))]
# Like the built-in "view" role: read everything, read logs, but no exec/create/delete.
VIEW_RULES = [
    Rule(("get", "list", "watch"), ("*",)),
    Rule(("create",), ("selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews")),
]


def default_users() -> dict[str, User]:
    return {
        "admin": User("admin", "kubesim-admin-token", list(ADMIN_RULES)),
        "readonly": User("readonly", "kubesim-readonly-token", list(VIEW_RULES)),
    }


# The token in the `sim-badtoken` context: the server knows no user with it -> 401.
BAD_TOKEN = "kubesim-revoked-token"


def rules_from(spec: list[dict]) -> list[Rule]:
    return [Rule(tuple(r.get("verbs", ["*"])), tuple(r.get("resources", ["*"])),
                 tuple(r.get("namespaces", ["*"]))) for r in spec]
