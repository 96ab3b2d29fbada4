"""`emb kubernetes ps | logs | restart | shell`: the components' pods in a namespace.

Thin: emb.kube resolves the namespace/context, finds pods and explains
kubectl's errors; this module parses options, runs kubectl and prints.
Every sub-command takes -n/--namespace and --context (also accepted before
the sub-command: `emb kubernetes -n staging ps`) and --flavor.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import click

from emb.cli.common import Globals, note, pass_globals, print_json, table
from emb.errors import EXIT_INTERRUPTED, UsageError

_META = "emb.kubernetes.options"


def _kube_options(func):
    """-n/--namespace, --context, --flavor on a sub-command."""
    func = click.option("--flavor", metavar="NAME", help="Same as `emb --flavor NAME`.")(func)
    func = click.option(
        "--context",
        "kube_context",
        metavar="NAME",
        help="kubeconfig context (default: config, then kubectl's current).",
    )(func)
    func = click.option(
        "-n",
        "--namespace",
        metavar="NS",
        help="Namespace (default: K8S_NAMESPACE, then config, then 'default').",
    )(func)
    return func


def _target(g: Globals, namespace: str | None, kube_context: str | None, flavor: str | None):
    """The monorepo and the kubectl Target for this invocation (sub-command options win over the group's)."""
    from emb import kube

    group = click.get_current_context().meta.get(_META, {})
    if flavor:
        g.flavor = flavor
    monorepo = g.monorepo()
    target = kube.target_for(
        monorepo,
        namespace=namespace if namespace is not None else group.get("namespace"),
        context=kube_context if kube_context is not None else group.get("context"),
    )
    kube.ensure_kubectl(target)
    return monorepo, target


def _component(monorepo, name: str):
    try:
        return monorepo.components[name]
    except KeyError:
        known = ", ".join(monorepo.components) or "none"
        raise UsageError(f"unknown component {name!r} (components: {known})") from None


def _complete_component(ctx: click.Context, param, incomplete: str) -> list:
    try:
        from emb.config import load

        root = ctx.find_root().params
        monorepo = load(
            root=root.get("root"), flavor=ctx.params.get("flavor") or root.get("flavor")
        )
        return [name for name in monorepo.components if name.startswith(incomplete)]
    except Exception:  # completion must never print a traceback into the shell
        return []


@click.group("kubernetes", short_help="Pods of a namespace: ps, logs, restart, shell.")
@click.option("-n", "--namespace", metavar="NS", help="Namespace for every sub-command.")
@click.option(
    "--context", "kube_context", metavar="NAME", help="kubeconfig context for every sub-command."
)
@click.pass_context
def kubernetes(ctx: click.Context, namespace: str | None, kube_context: str | None) -> None:
    """The monorepo's components in a Kubernetes namespace, through your kubectl.

    \b
    Namespace: -n > K8S_NAMESPACE > config kubernetes.namespace (after the
    flavor's patches) > defaults.kubernetes.namespace > "default".
    Context: --context > config kubernetes.context > kubectl's current one.
    Set EMB_KUBECTL to use another kubectl binary.
    """
    ctx.meta[_META] = {"namespace": namespace, "context": kube_context}


# --------------------------------------------------------------------------- ps


def component_matchers(monorepo, deployments: dict[str, dict]) -> list[tuple[str, tuple]]:
    """(component, selector requirements) in declaration order, for matching pods to components."""
    from emb import kube
    from emb.model import effective_kubernetes, pod_source

    settings = effective_kubernetes(monorepo)
    out = []
    for component in monorepo.components.values():
        kind, value = pod_source(component, settings)
        selector = (
            value
            if kind == "selector"
            else (kube.deployment_selector(deployments[value]) if value in deployments else "")
        )
        if not selector:
            continue
        try:
            out.append((component.name, kube.parse_selector(selector)))
        except UsageError:
            note(
                f"emb: warning: component {component.name}: cannot read selector {selector!r}; its pods show no component"
            )
    return out


def pod_rows(pods, matchers) -> list[dict]:
    from emb import kube

    rows = []
    for pod in sorted(pods, key=kube.pod_name):
        labels = kube.pod_labels(pod)
        component = next(
            (name for name, reqs in matchers if kube.selector_matches(reqs, labels)), None
        )
        created = kube.created_at(pod)
        rows.append(
            {
                "name": kube.pod_name(pod),
                "component": component,
                "ready": kube.ready_count(pod),
                "status": kube.pod_status(pod),
                "restarts": kube.restart_count(pod),
                "age": kube.human_age(created),
                "created": (pod.get("metadata") or {}).get("creationTimestamp"),
                "containers": kube.pod_containers(pod),
            }
        )
    return rows


@kubernetes.command("ps")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_kube_options
@pass_globals
def ps(g: Globals, as_json: bool, namespace, kube_context, flavor) -> int:
    """List the pods of the namespace and the component each belongs to."""
    from emb import kube
    from emb.model import effective_kubernetes, pod_source

    monorepo, target = _target(g, namespace, kube_context, flavor)
    settings = effective_kubernetes(monorepo)
    need_deployments = any(
        pod_source(c, settings)[0] == "deployment" for c in monorepo.components.values()
    )
    # One kubectl call either way: pods alone, or pods and deployments together.
    listing = kube.get_json(
        target,
        ["get", "pods,deployments" if need_deployments else "pods"],
        doing=f"listing the pods of namespace {target.namespace}",
    )
    items = listing.get("items") or []
    pods = [i for i in items if i.get("kind") in (None, "Pod")]
    deployments = {
        (d.get("metadata") or {}).get("name"): d for d in items if d.get("kind") == "Deployment"
    }
    if not pods and kube.namespace_missing(target):
        raise kube.namespace_not_found(target)
    rows = pod_rows(pods, component_matchers(monorepo, deployments))
    if as_json:
        print_json({"namespace": target.namespace, "context": target.context, "pods": rows})
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
@click.argument("component", shell_complete=_complete_component)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output.")
@click.option("--tail", type=int, metavar="N", help="Only the last N lines.")
@click.option("--pod", metavar="NAME", help="This pod instead of the component's first Ready one.")
@_kube_options
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
    from emb import kube
    from emb.model import effective_kubernetes

    monorepo, target = _target(g, namespace, kube_context, flavor)
    comp = _component(monorepo, component)
    settings = effective_kubernetes(monorepo)
    if pod:
        choice = kube.choose_pod(target, comp, settings, pod=pod)
        pod_id, container = choice.pod, choice.container
    else:
        podset = kube.component_pods(target, comp, settings)
        if not podset.pods:
            raise kube.no_pods_error(target, podset, comp.name)
        chosen = kube.pick_pod(podset.pods)
        if chosen is None:
            chosen = kube.oldest_first(podset.pods)[-1]
            note(
                f"emb: no Ready pod for {comp.name}; showing the newest pod, {kube.describe_pod(chosen)}"
            )
        pod_id = kube.pod_name(chosen)
        container = kube.pick_container(chosen, comp.kubernetes.container, comp.name, target)
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
    from emb import kube, process

    try:
        code, tail = process.passthrough(target.argv(*args), stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        kube.ensure_kubectl(target)
        raise
    if code not in (0, EXIT_INTERRUPTED):
        failure = kube.parse_failure(tail)
        raise kube.error_for(target, failure, doing=doing, command=target.shell(*args), pod=pod)
    return code


# --------------------------------------------------------------------------- restart


def deployment_names(monorepo, names: tuple[str, ...]) -> list[str]:
    """DEPLOYMENT arguments; a component name stands for its deployment."""
    out = []
    for name in names:
        component = monorepo.components.get(name)
        if component is not None:
            out.append(component.kubernetes.deployment or component.name)
        else:
            out.append(name)
    return list(dict.fromkeys(out))


@kubernetes.command("restart")
@click.argument(
    "deployments", nargs=-1, metavar="[DEPLOYMENT]...", shell_complete=_complete_component
)
@click.option(
    "--wait", is_flag=True, help="Wait until each rollout has finished (kubectl rollout status)."
)
@click.option(
    "--timeout",
    default="5m",
    show_default=True,
    metavar="DURATION",
    help="How long --wait waits per deployment.",
)
@_kube_options
@pass_globals
def restart(
    g: Globals,
    deployments: tuple[str, ...],
    wait: bool,
    timeout: str,
    namespace,
    kube_context,
    flavor,
) -> int:
    """Rolling restart (kubectl rollout restart) of DEPLOYMENTs, or of every
    deployment in the namespace when none is named. A component name stands
    for its deployment."""
    from emb import kube

    monorepo, target = _target(g, namespace, kube_context, flavor)
    names = deployment_names(monorepo, deployments)
    if not names:
        listing = kube.get_json(
            target,
            ["get", "deployments"],
            doing=f"listing the deployments of namespace {target.namespace}",
        )
        names = sorted(
            (d.get("metadata") or {}).get("name", "") for d in listing.get("items") or []
        )
        if not names:
            if kube.namespace_missing(target):
                raise kube.namespace_not_found(target)
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
@click.argument("component", shell_complete=_complete_component)
@click.option(
    "-s",
    "--shell",
    "shell",
    default="sh",
    show_default=True,
    help="The shell (or command) to start.",
)
@click.option("--pod", metavar="NAME", help="This pod instead of the component's first Ready one.")
@_kube_options
@pass_globals
def shell(
    g: Globals, component: str, shell: str, pod: str | None, namespace, kube_context, flavor
) -> int:
    """Open an interactive shell in a component's pod (first Ready pod, oldest first)."""
    from emb import kube, process
    from emb.executors import Command
    from emb.executors.kubernetes import exec_argv
    from emb.model import effective_kubernetes

    monorepo, target = _target(g, namespace, kube_context, flavor)
    comp = _component(monorepo, component)
    try:
        words = shlex.split(shell)
    except ValueError as exc:
        raise UsageError(f"-s/--shell: {exc}") from None
    if not words:
        raise UsageError("-s/--shell needs a program, e.g. -s bash")
    choice = kube.choose_pod(target, comp, effective_kubernetes(monorepo), pod=pod)
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    # Without a terminal (a pipe, CI) the shell still runs, reading stdin (-i, no -t).
    argv = exec_argv(target, choice.pod, choice.container, words, stdin=True, tty=tty)
    cmd = Command(
        argv=tuple(argv),
        tty=tty,
        where=f"pod {choice.pod} (container {choice.container}, {target.describe()})",
    )
    # A shell session is not logged: what is typed there may be secret.
    result = process.run(cmd, log_path=Path(os.devnull))
    if result.exit_code != 0 and not getattr(result, "interrupted", False):
        failure = kube.exec_failure(result.stderr_tail or b"", result.exit_code)
        if failure is not None:
            raise kube.error_for(
                target, failure, doing=f"opening a shell in pod {choice.pod}", pod=choice.pod
            )
    return result.exit_code
