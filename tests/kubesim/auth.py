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
        if verb == "create" and resource in BASIC_USER:
            return True  # system:basic-user, bound to every authenticated user
        return any(r.allows(verb, resource, namespace) for r in self.rules)


BASIC_USER = ("selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews")


ADMIN_RULES = [Rule(("*",), ("*",))]
# Subresources the built-in "view" role leaves out. RBAC's "*" would match them too
# (subresources included), so the readonly user lists resources by name, as the real
# role does: with `get pods/exec` it could exec over WebSocket up to 1.34.
_NOT_VIEWABLE = ("pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "pods/ephemeralcontainers",
                 "services/proxy", "nodes/proxy")


def _viewable() -> tuple[str, ...]:
    from .resources import RESOURCES

    names = []
    for r in RESOURCES:
        names.append(r.plural)
        names += [f"{r.plural}/{s.name}" for s in r.subresources if f"{r.plural}/{s.name}" not in _NOT_VIEWABLE]
    return tuple(names)


# Like the built-in "view" role: read everything, read logs, but no exec/create/delete.
VIEW_RULES = [
    Rule(("get", "list", "watch"), _viewable()),
    Rule(("create",), ("selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews")),
]


def default_users() -> dict[str, User]:
    return {
        "admin": User("admin", "kubesim-admin-token", list(ADMIN_RULES)),
        "readonly": User("readonly", "kubesim-readonly-token", list(VIEW_RULES)),
        # Authenticated by the exec credential plugin (tests/kubesim/credential-plugin).
        "exec-user": User("exec-user", EXEC_TOKEN, list(ADMIN_RULES)),
    }


EXEC_TOKEN = "kubesim-exec-token"


# The token in the `sim-badtoken` context: the server knows no user with it -> 401.
BAD_TOKEN = "kubesim-revoked-token"


def rules_from(spec: list[dict]) -> list[Rule]:
    return [Rule(tuple(r.get("verbs", ["*"])), tuple(r.get("resources", ["*"])),
                 tuple(r.get("namespaces", ["*"]))) for r in spec]
