"""Where kubectl points (SPEC §4): namespace and context resolution, pure, and the
`kubectl [--context C] --namespace N` prefix of every command emb runs."""

from __future__ import annotations

import os
import shlex
from typing import Mapping, NamedTuple

from emb.errors import UsageError

KUBECTL_ENV = (
    "EMB_KUBECTL"  # override the kubectl command (a path, or words like "minikube kubectl --")
)
NAMESPACE_ENV = "K8S_NAMESPACE"
DEFAULT_NAMESPACE = "default"


class Resolved(NamedTuple):
    """A resolved setting and where it came from (shown by --dry-run)."""

    value: str | None
    source: str


def resolve_namespace(cli: str | None, environ: Mapping[str, str], config: str | None,
                      config_source: str = "kubernetes.namespace") -> Resolved:
    """`-n` > `K8S_NAMESPACE` > the config's namespace (`kubernetes.namespace`
    after flavor patches, else `defaults.kubernetes.namespace`: `config_source`
    says which) > "default".

    An empty value counts as unset (`K8S_NAMESPACE= emb ...`, or a config value
    like `${env:K8S_NAMESPACE:-}`), except on the command line where `-n ""`
    is a mistake worth reporting.
    """
    if cli is not None:
        if not cli.strip():
            raise UsageError("-n/--namespace needs a namespace name, got an empty string")
        return Resolved(cli, "--namespace")
    for value, source in ((environ.get(NAMESPACE_ENV), NAMESPACE_ENV), (config, config_source)):
        if value:
            return Resolved(value, source)
    return Resolved(DEFAULT_NAMESPACE, "default")


def resolve_context(cli: str | None, config: str | None,
                    config_source: str = "kubernetes.context") -> Resolved:
    """`--context` > the config's context > None (kubectl's current context,
    which honours KUBECONFIG by itself)."""
    if cli is not None:
        if not cli.strip():
            raise UsageError("--context needs a kubeconfig context name, got an empty string")
        return Resolved(cli, "--context")
    if config:
        return Resolved(config, config_source)
    return Resolved(None, "kubectl's current context")


def kubectl_command(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The kubectl command words: `EMB_KUBECTL` (shell-split) or plain `kubectl`."""
    environ = os.environ if environ is None else environ
    override = (environ.get(KUBECTL_ENV) or "").strip()
    if not override:
        return ("kubectl",)
    try:
        words = tuple(shlex.split(override))
    except ValueError as exc:
        raise UsageError(f"{KUBECTL_ENV} is not a valid command line: {exc}") from None
    return words or ("kubectl",)


class Target(NamedTuple):
    """Where kubectl points: namespace and (optional) context, plus the kubectl command."""

    namespace: str
    context: str | None = None
    kubectl: tuple[str, ...] = ("kubectl",)
    namespace_source: str = ""
    context_source: str = ""

    def base(self) -> list[str]:
        """`kubectl [--context C] --namespace N`: the start of every command emb runs."""
        ctx = ["--context", self.context] if self.context else []
        return [*self.kubectl, *ctx, "--namespace", self.namespace]

    def argv(self, *args: str) -> list[str]:
        return [*self.base(), *args]

    def global_argv(self, *args: str) -> list[str]:
        """For cluster-scoped commands and `config view`: no --namespace."""
        return [*self.kubectl, *(["--context", self.context] if self.context else []), *args]

    def shell(self, *args: str) -> str:
        """A command line for a hint, the way a user would type it."""
        return shlex.join(
            [
                "kubectl",
                *(["--context", self.context] if self.context else []),
                "--namespace",
                self.namespace,
                *args,
            ]
        )

    def shell_global(self, *args: str) -> str:
        """A hint command for cluster-scoped things (no --namespace)."""
        return shlex.join(
            ["kubectl", *(["--context", self.context] if self.context else []), *args]
        )

    def describe(self) -> str:
        ctx = f"context {self.context}" if self.context else "kubectl's current context"
        return f"namespace {self.namespace}, {ctx}"


def target_for(
    monorepo,
    *,
    namespace: str | None = None,
    context: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The Target for a monorepo and the command line's -n/--context."""
    environ = os.environ if environ is None else environ
    settings = monorepo.kubernetes
    ns = resolve_namespace(namespace, environ, settings.namespace,
                           settings.sources.get("namespace", "kubernetes.namespace"))
    ctx = resolve_context(context, settings.context, settings.sources.get("context", "kubernetes.context"))
    return Target(
        namespace=ns.value or DEFAULT_NAMESPACE,
        context=ctx.value,
        kubectl=kubectl_command(environ),
        namespace_source=ns.source,
        context_source=ctx.source,
    )

