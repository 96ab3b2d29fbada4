"""`emb kubernetes ps | logs | restart | shell`: the components' pods in a namespace.

Thin: emb.kube resolves the namespace/context, finds pods and explains
kubectl's errors; this module parses options, runs kubectl and prints.
Every sub-command takes -n/--namespace and --context (also accepted before
the sub-command: `emb kubernetes -n staging ps`) and --flavor.
"""

from __future__ import annotations

import subprocess
import sys

import click

from emb import process
from emb.cli.common import Globals, pass_globals, table
from emb.cli.options import complete_component, context_option, kube_options, namespace_option
from emb.executors import RunContext
from emb.flow.shell import component as find_component
from emb.flow.shell import open_shell
from emb.kube import kubectl, lookup, pods
from emb.kube.errors import namespace_not_found, parse_failure
from emb.errors import UsageError
from emb.kube.names import check_name
from emb.kube.target import is_duration, target_for
from emb.output import note, print_json

_META = "emb.kubernetes.options"


def _options(namespace: str | None, kube_context: str | None) -> tuple[str | None, str | None]:
    """Sub-command options win over the group's."""
    group = click.get_current_context().meta.get(_META, {})
    return (namespace if namespace is not None else group.get("namespace"),
            kube_context if kube_context is not None else group.get("context"))


def _target(g: Globals, namespace: str | None, kube_context: str | None, flavor: str | None):
    """The monorepo and the kubectl Target for this invocation."""
    if flavor:
        g.flavor = flavor
    monorepo = g.monorepo()
    namespace, kube_context = _options(namespace, kube_context)
    target = target_for(monorepo, namespace=namespace, context=kube_context)
    kubectl.ensure_kubectl(target)
    return monorepo, target


@click.group("kubernetes", short_help="Pods of a namespace: ps, logs, restart, shell.")
@namespace_option("Namespace for every sub-command.")
@context_option("kubeconfig context for every sub-command.")
@click.pass_context
def kubernetes(ctx: click.Context, namespace: str | None, kube_context: str | None) -> None:
    """The monorepo's components in a Kubernetes namespace, through your kubectl.

    \b
    Namespace: -n > K8S_NAMESPACE > config kubernetes.namespace (after the
    flavor's patches) > defaults.kubernetes.namespace > kubectl's own (the
    context's namespace; emb then passes no --namespace).
    Context: --context > config kubernetes.context > kubectl's current one.
    Set EMB_KUBECTL to use another kubectl binary.
    """
    ctx.meta[_META] = {"namespace": namespace, "context": kube_context}


# --------------------------------------------------------------------------- ps


@kubernetes.command("ps")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@kube_options
@pass_globals
def ps(g: Globals, as_json: bool, namespace, kube_context, flavor) -> int:
    """List the pods of the namespace and the component each belongs to."""
    monorepo, target = _target(g, namespace, kube_context, flavor)
    settings = monorepo.kubernetes
    need_deployments = any(
        pods.pod_source(c, settings)[0] == "deployment" for c in monorepo.components.values()
    )
    # One kubectl call either way: pods alone, or pods and deployments together.
    listing = kubectl.get_json(
        target,
        ["get", "pods,deployments" if need_deployments else "pods"],
        doing=f"listing the pods of namespace {target.namespace}",
    )
    items = listing.get("items") or []
    found = [i for i in items if i.get("kind") in (None, "Pod")]
    deployments = {
        (d.get("metadata") or {}).get("name"): d for d in items if d.get("kind") == "Deployment"
    }
    if not found and kubectl.namespace_missing(target):
        raise namespace_not_found(target)
    matchers, warnings = pods.component_matchers(monorepo, settings, deployments)
    for warning in warnings:
        note(f"emb: warning: {warning}")
    rows = pods.pod_rows(found, matchers)
    if as_json:
        print_json({"namespace": target.namespace, "context": target.context_name, "pods": rows})
        return 0
    if not rows:
        note(f"emb: no pods in namespace {target.namespace}")
        return 0
    click.echo(
        table(
            ["NAME", "COMPONENT", "READY", "STATUS", "RESTARTS", "AGE"],
            [
                [r["name"], r["component"] or "-", r["ready"], r["status"], r["restarts"], r["age"]]
                for r in rows
            ],
        )
    )
    return 0


# --------------------------------------------------------------------------- logs


@kubernetes.command("logs")
@click.argument("component", shell_complete=complete_component)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output.")
@click.option("--tail", type=int, metavar="N", help="Only the last N lines.")
@click.option("--pod", metavar="NAME", help="This pod instead of the component's first Ready one.")
@kube_options
@pass_globals
def logs(
    g: Globals,
    component: str,
    follow: bool,
    tail: int | None,
    pod: str | None,
    namespace,
    kube_context,
    flavor,
) -> int:
    """Show the logs of a component's pod (its first Ready pod, oldest first).

    With no Ready pod, the newest pod's logs are shown: that is usually the
    one crashing."""
    monorepo, target = _target(g, namespace, kube_context, flavor)
    comp = find_component(monorepo, component)
    settings = monorepo.kubernetes
    if pod:
        choice = lookup.choose_pod(target, comp, settings, pod=pod)
        pod_id, container = choice.pod, choice.container
    else:
        podset = lookup.component_pods(target, comp, settings)
        if not podset.pods:
            raise lookup.no_pods_error(target, podset, comp.name)
        chosen = pods.pick_pod(podset.pods)
        if chosen is None:
            chosen = pods.oldest_first(podset.pods)[-1]
            note(
                f"emb: no Ready pod for {comp.name}; showing the newest pod, {pods.describe_pod(chosen)}"
            )
        pod_id = pods.pod_name(chosen)
        container = pods.pick_container(chosen, comp.kubernetes.container, comp.name, target)
    args = [
        "logs",
        pod_id,
        "-c",
        container,
        *(["-f"] if follow else []),
        *(["--tail", str(tail)] if tail is not None else []),
    ]
    return _stream(target, args, doing=f"reading the logs of pod {pod_id}", pod=pod_id)


def _stream(target, args: list[str], *, doing: str, pod: str | None = None) -> int:
    """Run kubectl with its output passing through; a failure becomes emb's
    one-line error (exit 125)."""
    try:
        code, tail = process.passthrough(target.argv(*args), stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        kubectl.ensure_kubectl(target)
        raise
    if code != 0 and code not in process.STOPPED_CODES:  # stopped by a signal: not kubectl's failure
        raise kubectl.explain(target, parse_failure(tail), doing=doing, command=target.shell(*args), pod=pod)
    return code


# --------------------------------------------------------------------------- restart


@kubernetes.command("restart")
@click.argument(
    "deployments", nargs=-1, metavar="[DEPLOYMENT]...", shell_complete=complete_component
)
@click.option(
    "--wait", is_flag=True, help="Wait until each rollout has finished (kubectl rollout status)."
)
@click.option(
    "--timeout",
    default="5m",
    show_default=True,
    metavar="DURATION",
    help="How long --wait waits per deployment (a Go duration: 300s, 5m, 1h30m).",
)
@click.option("--all", "all_deployments", is_flag=True,
              help="Every deployment of the namespace, not only the monorepo's.")
@kube_options
@pass_globals
def restart(
    g: Globals,
    deployments: tuple[str, ...],
    wait: bool,
    timeout: str,
    all_deployments: bool,
    namespace,
    kube_context,
    flavor,
) -> int:
    """Rolling restart (kubectl rollout restart) of DEPLOYMENTs; with none named,
    the deployments of the monorepo's components (--all: every deployment of
    the namespace). A component name stands for its deployment. Every argument
    is checked before anything changes."""
    if not is_duration(timeout):
        raise UsageError(f"--timeout {timeout!r} is not a duration", ["use a Go duration: 300s, 5m, 1h30m"])
    if all_deployments and deployments:
        raise UsageError("--all restarts every deployment: name none with it")
    monorepo, target = _target(g, namespace, kube_context, flavor)
    names = [check_name("deployment", n, "DEPLOYMENT argument") for n in pods.deployment_names(monorepo, deployments)]
    if not names and not all_deployments:
        names = [check_name("deployment", n, f"component {c.name}") for c in monorepo.components.values()
                 for kind, n in [pods.pod_source(c, monorepo.kubernetes)] if kind == "deployment"]
        names = list(dict.fromkeys(names))
        if not names:
            note("emb: no component is found through a Deployment; nothing to restart (--all: every deployment)")
            return 0
    if not names:
        listing = kubectl.get_json(
            target,
            ["get", "deployments"],
            doing=f"listing the deployments of namespace {target.namespace}",
        )
        names = sorted(
            (d.get("metadata") or {}).get("name", "") for d in listing.get("items") or []
        )
        if not names:
            if kubectl.namespace_missing(target):
                raise namespace_not_found(target)
            note(f"emb: no deployments in namespace {target.namespace}; nothing to restart")
            return 0
    code = _stream(
        target,
        ["rollout", "restart", *(f"deployment/{n}" for n in names)],
        doing="restarting deployments",
    )
    if code or not wait:
        return code
    for name in names:
        code = _stream(
            target,
            ["rollout", "status", f"deployment/{name}", f"--timeout={timeout}"],
            doing=f"waiting for the rollout of deployment {name}",
        )
        if code:
            return code
    return 0


# --------------------------------------------------------------------------- shell


@kubernetes.command("shell")
@click.argument("component", shell_complete=complete_component)
@click.option(
    "-s",
    "--shell",
    "shell",
    default=None,
    help="The shell (or command) to start (default: bash when the image has it, else sh).",
)
@click.option("--pod", metavar="NAME", help="This pod instead of the component's first Ready one.")
@kube_options
@pass_globals
def shell(
    g: Globals, component: str, shell: str | None, pod: str | None, namespace, kube_context, flavor
) -> int:
    """Open an interactive shell in a component's pod (first Ready pod, newest
    revision, oldest first; with none Ready, the newest Running pod, with a warning)."""
    if flavor:
        g.flavor = flavor
    monorepo = g.monorepo()
    namespace, kube_context = _options(namespace, kube_context)
    ctx = RunContext(monorepo, namespace=namespace, context=kube_context, pod=pod,
                     stdin_tty=sys.stdin.isatty(), stdout_tty=sys.stdout.isatty())
    return open_shell("kubernetes", ctx, find_component(monorepo, component), shell)
