"""Running kubectl for lookups: one process per call, JSON parsed, failures explained.

Every kubectl process costs ~70-150 ms of start-up, so callers ask for as
little as possible: a selector known from the config means one `get pods`;
extra diagnostics (does the namespace exist? which server?) are only run
after something already failed.
"""

from __future__ import annotations

import errno
import json
import shlex
from typing import Any, Sequence

import os

from emb import launch, process
from emb.errors import CannotStart
from emb.kube.errors import Failure, error_for, namespace_not_found, parse_failure
from emb.kube.target import KUBECTL_ENV, Target, request_timeout

INSTALL_URL = "https://kubernetes.io/docs/tasks/tools/"


def _not_installed(target: Target) -> CannotStart:
    if target.kubectl != ("kubectl",):
        return CannotStart(
            f"kubectl command not found: {shlex.join(target.kubectl)} (from {KUBECTL_ENV})",
            [f"fix or unset {KUBECTL_ENV}", f"install kubectl: {INSTALL_URL}"],
        )
    return CannotStart(
        "kubectl is not installed (not found on PATH)",
        [f"install kubectl: {INSTALL_URL}", f"or point {KUBECTL_ENV} at your kubectl binary"],
    )


def _which(name: str) -> str | None:
    """Where `name` is on the PATH emb was started with (the repository's env: cannot move it)."""
    if os.sep in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    for folder in (launch.launch_environ().get("PATH") or os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def ensure_kubectl(target: Target) -> None:
    """Fail early, with an install hint, when kubectl cannot be found."""
    if _which(target.kubectl[0]) is None:
        raise _not_installed(target)


class _Calls:
    """How many kubectl processes this invocation started (the bench prints it)."""

    count = 0


calls = _Calls()


def _share_terminal(target: Target) -> bool:
    """A lookup shares the user's terminal (stdin, and stderr as it comes) when the
    context's user has a credential plugin and stdin is a terminal: its login prompt
    (device code, SSO, MFA) must show and be answerable. client-go caches tokens in
    memory only, so every kubectl process may run the plugin; each lookup shares."""
    return bool(target.exec_plugin) and os.isatty(0)


def run_kubectl(target: Target, args: Sequence[str], *, namespaced: bool = True) -> process.Captured:
    """Run one kubectl lookup, its output captured, bounded by --request-timeout;
    never raises for kubectl's exit code."""
    base = target.argv() if namespaced else target.global_argv()
    argv = [*base, f"--request-timeout={request_timeout()}", *args]
    calls.count += 1
    done = process.capture(argv, share_terminal=_share_terminal(target))
    if done.start_errno == errno.EACCES:
        raise CannotStart(
            f"kubectl cannot be executed: {argv[0]} (permission denied)",
            [f"check: ls -l $(command -v {argv[0]})"],
        )
    if done.missing:
        raise _not_installed(target)
    if done.timed_out:
        raise CannotStart(
            f"cluster unreachable: kubectl did not answer within {process.LOOKUP_TIMEOUT:.0f} s ({target.describe()})",
            [f"check the cluster: {target.shell_global('cluster-info')}"],
        )
    return done


def get_json(target: Target, args: Sequence[str], *, doing: str) -> Any:
    """`kubectl [--context C] --namespace N ARGS -o json`, parsed; kubectl errors become CannotStart."""
    proc = run_kubectl(target, [*args, "-o", "json"])
    if proc.returncode != 0:
        raise explain(target, parse_failure(proc.stderr), doing=doing, command=target.shell(*args))
    return parse_json(proc.stdout, target, args, doing)


def parse_json(stdout: bytes, target: Target, args: Sequence[str], doing: str) -> Any:
    try:
        return json.loads(stdout)
    except ValueError:
        raise CannotStart(
            f"kubectl returned something that is not JSON while {doing}",
            [f"try it yourself: {target.shell(*args, '-o', 'json')}"],
        ) from None


def describe_cluster(target: Target) -> tuple[str | None, str | None]:
    """(context name, server URL) kubectl would use, as read from the kubeconfig."""
    return (target.context_name, target.server)


def namespace_missing(target: Target) -> bool:
    """After an empty result: is it because the namespace does not exist?
    False when we cannot tell (e.g. no permission to read namespaces)."""
    proc = run_kubectl(target, ["get", "namespace", "-o", "name", "--", target.namespace], namespaced=False)
    if proc.returncode == 0:
        return False
    failure = parse_failure(proc.stderr)
    return failure.kind == "not_found" and failure.resource == "namespaces"


def explain(target: Target, failure: Failure, *, doing: str, command: str | None = None,
            pod: str | None = None) -> CannotStart:
    """The SPEC §4 error for a kubectl failure; for the kinds whose message names
    the cluster, one more (local, offline) kubectl call reads it from the kubeconfig."""
    return error_for(target, failure, doing=doing, command=command, pod=pod, cluster=describe_cluster(target))
