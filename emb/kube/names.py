"""Names that reach kubectl's command line, checked where they enter (issue: names
never become kubectl flags). Kubernetes' own rules: namespaces and container
names are DNS-1123 labels, pods and workloads DNS-1123 subdomains. A name that
breaks them is a usage or configuration error (exit 2) with one line and a hint,
before any kubectl process starts."""

from __future__ import annotations

import re

from emb.errors import UsageError

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# kind -> (pattern, maximum length, rule in words)
_RULES = {
    "namespace": (_LABEL, 63, "a DNS-1123 label"),
    "container": (_LABEL, 63, "a DNS-1123 label"),
    "pod": (_SUBDOMAIN, 253, "a DNS-1123 subdomain"),
    "deployment": (_SUBDOMAIN, 253, "a DNS-1123 subdomain"),
    "statefulset": (_SUBDOMAIN, 253, "a DNS-1123 subdomain"),
    "daemonset": (_SUBDOMAIN, 253, "a DNS-1123 subdomain"),
}


def check_name(kind: str, value: str, source: str) -> str:
    """`value` if it is a valid Kubernetes `kind` name, else UsageError naming `source`."""
    pattern, limit, rule = _RULES[kind]
    if len(value) <= limit and pattern.match(value):
        return value
    shown = value.encode("unicode_escape").decode("ascii")
    raise UsageError(
        f"invalid {kind} name {shown!r} (from {source}): must be {rule}",
        [f"{kind} names are lower-case letters, digits and '-'"
         + (" (and '.')" if pattern is _SUBDOMAIN else "")
         + f", start and end with a letter or digit, at most {limit} characters"],
    )


def check_context(value: str, source: str) -> str:
    """kubeconfig context names are free-form, but one that starts with '-' would read
    as a kubectl flag in a hint a user copies: refused."""
    if value.startswith("-") or "\0" in value or "\n" in value:
        shown = value.encode("unicode_escape").decode("ascii")
        raise UsageError(f"invalid context name {shown!r} (from {source})",
                         ["list the contexts: kubectl config get-contexts -o name"])
    return value
