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

from emb import process
from emb.errors import CannotStart
from emb.kube.errors import Failure, error_for, namespace_not_found, parse_failure
from emb.kube.target import KUBECTL_ENV, Target

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


def ensure_kubectl(target: Target) -> None:
    """Fail early, with an install hint, when kubectl cannot be found."""
    if process.which(target.kubectl[0]) is None:
        raise _not_installed(target)


def run_kubectl(target: Target, args: Sequence[str], *, namespaced: bool = True) -> process.Captured:
    """Run one kubectl lookup, its output captured; never raises for kubectl's exit code."""
    argv = target.argv(*args) if namespaced else target.global_argv(*args)
    done = process.capture(argv)
    if done.start_errno == errno.EACCES:
        raise CannotStart(
            f"kubectl cannot be executed: {argv[0]} (permission denied)",
            [f"check: ls -l $(command -v {argv[0]})"],
        )
    if done.missing:
        raise _not_installed(target)
    if done.timed_out:
        raise CannotStart(
            f"kubectl did not answer within {process.LOOKUP_TIMEOUT:.0f} s ({target.describe()})",
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
    """(context name, server URL) kubectl would use; read from the kubeconfig
    only (no network), and only after something failed."""
    proc = run_kubectl(
        target,
        [
            "config",
            "view",
            "--minify",
            "-o",
            'jsonpath={.contexts[0].name}{"\\t"}{.clusters[0].cluster.server}',
        ],
        namespaced=False,
    )
    if proc.returncode != 0:
        return (target.context, None)
    ctx, _, server = proc.stdout.decode("utf-8", "replace").partition("\t")
    return (ctx.strip() or target.context, server.strip() or None)


def namespace_missing(target: Target) -> bool:
    """After an empty result: is it because the namespace does not exist?
    False when we cannot tell (e.g. no permission to read namespaces)."""
    proc = run_kubectl(target, ["get", "namespace", target.namespace, "-o", "name"])
    if proc.returncode == 0:
        return False
    failure = parse_failure(proc.stderr)
    return failure.kind == "not_found" and failure.resource == "namespaces"


def explain(target: Target, failure: Failure, *, doing: str, command: str | None = None,
            pod: str | None = None) -> CannotStart:
    """The SPEC §4 error for a kubectl failure; for the kinds whose message names
    the cluster, one more (local, offline) kubectl call reads it from the kubeconfig."""
    cluster = describe_cluster(target) if failure.kind in ("unreachable", "unauthorized") else None
    return error_for(target, failure, doing=doing, command=command, pod=pod, cluster=cluster)
