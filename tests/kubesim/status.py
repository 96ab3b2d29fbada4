"""Kubernetes `Status` error bodies: kubectl turns reason + message into its usual lines,
e.g. `Error from server (NotFound): pods "x" not found`."""

from __future__ import annotations

from typing import Any

from .resources import Resource


class ApiError(Exception):
    """Raised by handlers; the server answers with a Status body and this code."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                               "status": "Failure", "message": self.message}
        if self.reason:  # StatusReasonUnknown is "" and omitted (kubectl: "Error from server: MSG")
            out["reason"] = self.reason
        if self.details:
            out["details"] = self.details
        out["code"] = self.code
        return out


def _details(resource: Resource | None, name: str | None) -> dict:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if resource is not None:
        if resource.group:
            d["group"] = resource.group
        d["kind"] = resource.plural
    return d


def not_found(resource: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource.qualified} "{name}" not found', _details(resource, name))


def already_exists(resource: Resource, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{resource.qualified} "{name}" already exists',
                    _details(resource, name))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(user: str, verb: str, resource: Resource | None, subresource: str | None,
              namespace: str | None, name: str | None, path: str = "") -> ApiError:
    if resource is None:  # a non-resource URL such as /api
        return ApiError(403, "Forbidden",
                        f'forbidden: User "{user}" cannot {verb} path "{path}"', {})
    what = resource.plural + (f"/{subresource}" if subresource else "")
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    subject = f'{resource.qualified} "{name}"' if name else resource.qualified
    message = (f'{subject} is forbidden: User "{user}" cannot {verb} resource "{what}" '
               f'in API group "{resource.group}" {where}')
    return ApiError(403, "Forbidden", message, _details(resource, name))


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)

