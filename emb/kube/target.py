"""Where kubectl points (SPEC §4): namespace and context resolution, and the
`kubectl [--context C] [--namespace N]` prefix of every command emb runs.

The namespace's last fallback is kubectl's own choice (the context's namespace,
or the service account's in a pod, else "default"): emb then passes no
--namespace at all. The effective context and namespace shown to the user are
read from the kubeconfig (emb.kube.kubeconfig), never by starting kubectl.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Mapping, NamedTuple

from emb import launch
from emb.errors import UsageError
from emb.kube.names import check_context, check_name

KUBECTL_ENV = (
    "EMB_KUBECTL"  # override the kubectl command (a path, or words like "minikube kubectl --")
)
NAMESPACE_ENV = "K8S_NAMESPACE"
DEFAULT_NAMESPACE = "default"
REQUEST_TIMEOUT_ENV = "EMB_KUBECTL_REQUEST_TIMEOUT"
DEFAULT_REQUEST_TIMEOUT = "10s"
KUBECTL_SOURCE = "kubectl"  # namespace_source when kubectl chooses


class Resolved(NamedTuple):
    """A resolved setting and where it came from (shown by --dry-run)."""

    value: str | None
    source: str


def resolve_namespace(cli: str | None, environ: Mapping[str, str], config: str | None,
                      config_source: str = "kubernetes.namespace") -> Resolved:
    """`-n` > `K8S_NAMESPACE` > the config's namespace (`kubernetes.namespace`
    after flavor patches, else `defaults.kubernetes.namespace`: `config_source`
    says which) > None: kubectl's own choice.

    An empty value counts as unset (`K8S_NAMESPACE= emb ...`, or a config value
    like `${env:K8S_NAMESPACE:-}`), except on the command line where `-n ""`
    is a mistake worth reporting. Every value given is checked as a namespace name.
    """
    if cli is not None:
        if not cli.strip():
            raise UsageError("-n/--namespace needs a namespace name, got an empty string")
        return Resolved(check_name("namespace", cli, "-n/--namespace"), "--namespace")
    for value, source in ((environ.get(NAMESPACE_ENV), NAMESPACE_ENV), (config, config_source)):
        if value:
            return Resolved(check_name("namespace", value, source), source)
    return Resolved(None, KUBECTL_SOURCE)


def resolve_context(cli: str | None, config: str | None,
                    config_source: str = "kubernetes.context") -> Resolved:
    """`--context` > the config's context > None (kubectl's current context,
    which honours KUBECONFIG by itself)."""
    if cli is not None:
        if not cli.strip():
            raise UsageError("--context needs a kubeconfig context name, got an empty string")
        return Resolved(check_context(cli, "--context"), "--context")
    if config:
        return Resolved(check_context(config, config_source), config_source)
    return Resolved(None, "kubectl's current context")


def kubectl_command(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The kubectl command words: `EMB_KUBECTL` (shell-split) or plain `kubectl`,
    from the environment emb was started in (never the repository's env:/.env)."""
    environ = launch.launch_environ() if environ is None else environ
    override = (environ.get(KUBECTL_ENV) or "").strip()
    if not override:
        return ("kubectl",)
    try:
        words = tuple(shlex.split(override))
    except ValueError as exc:
        raise UsageError(f"{KUBECTL_ENV} is not a valid command line: {exc}") from None
    return words or ("kubectl",)


_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def is_duration(text: str) -> bool:
    """A Go duration as kubectl parses it (`300s`, `5m`, `1h30m`, `0`)."""
    return text == "0" or bool(_DURATION.match(text))


def duration_seconds(text: str) -> float:
    """Seconds in a Go duration (is_duration must hold; a bare number means seconds)."""
    if re.match(r"^\d+(\.\d+)?$", text):
        return float(text)
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)", text))


def request_timeout(environ: Mapping[str, str] | None = None) -> str:
    """`--request-timeout` for lookups: EMB_KUBECTL_REQUEST_TIMEOUT, else 10s."""
    environ = launch.launch_environ() if environ is None else environ
    value = (environ.get(REQUEST_TIMEOUT_ENV) or "").strip() or DEFAULT_REQUEST_TIMEOUT
    if not is_duration(value):
        raise UsageError(f"{REQUEST_TIMEOUT_ENV}={value!r} is not a duration",
                         ["use a Go duration like 10s, 1m or 1m30s"])
    return value


class Target(NamedTuple):
    """Where kubectl points, plus the kubectl command.

    `namespace` is the effective namespace (shown everywhere); it is passed as
    --namespace only when emb chose it (`namespace_explicit`). `context` is the
    one passed as --context (None: kubectl's current); `context_name` the
    effective one, as the kubeconfig names it (for display)."""

    namespace: str
    context: str | None = None
    kubectl: tuple[str, ...] = ("kubectl",)
    namespace_source: str = ""
    context_source: str = ""
    namespace_explicit: bool = True
    context_name: str | None = None
    server: str | None = None
    exec_plugin: str | None = None

    def _prefix(self, namespaced: bool) -> list[str]:
        out = ["--context", self.context] if self.context else []
        if namespaced and self.namespace_explicit:
            out += ["--namespace", self.namespace]
        return out

    def base(self) -> list[str]:
        """`kubectl [--context C] [--namespace N]`: the start of every command emb runs."""
        return [*self.kubectl, *self._prefix(True)]

    def argv(self, *args: str) -> list[str]:
        return [*self.base(), *args]

    def global_argv(self, *args: str) -> list[str]:
        """For cluster-scoped commands: no --namespace."""
        return [*self.kubectl, *self._prefix(False), *args]

    def shell(self, *args: str) -> str:
        """A command line for a hint, the way a user would type it."""
        return shlex.join(["kubectl", *self._prefix(True), *args])

    def shell_global(self, *args: str) -> str:
        """A hint command for cluster-scoped things (no --namespace)."""
        return shlex.join(["kubectl", *self._prefix(False), *args])

    def describe(self) -> str:
        return f"namespace {self.namespace}, context {self.context_name or '(none)'}"


def target_for(
    monorepo,
    *,
    namespace: str | None = None,
    context: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The Target for a monorepo and the command line's -n/--context.

    K8S_NAMESPACE is read from os.environ (it may come from the repository's
    .env); EMB_KUBECTL and KUBECONFIG from the launch environment."""
    from emb.kube.kubeconfig import read_view

    environ = os.environ if environ is None else environ
    settings = monorepo.kubernetes
    ns = resolve_namespace(namespace, environ, settings.namespace,
                           settings.sources.get("namespace", "kubernetes.namespace"))
    ctx = resolve_context(context, settings.context, settings.sources.get("context", "kubernetes.context"))
    view = read_view(ctx.value)
    if ns.value:
        effective, source = ns.value, ns.source
    elif view.namespace:
        effective, source = view.namespace, (
            "the service account" if view.in_cluster else f"kubeconfig context {view.context}")
    else:
        effective, source = DEFAULT_NAMESPACE, "kubectl's default"
    return Target(
        namespace=effective,
        context=ctx.value,
        kubectl=kubectl_command(),
        namespace_source=source,
        context_source=ctx.source,
        namespace_explicit=ns.value is not None,
        context_name=ctx.value or view.context,
        server=view.server,
        exec_plugin=view.exec_plugin,
    )
