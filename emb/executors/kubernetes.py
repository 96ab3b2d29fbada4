"""The kubernetes executor: a task becomes `kubectl ... exec POD -c C -- sh -c SCRIPT`.

SPEC §4. The only side effects are read-only lookups (one `get pods`, plus
`get deployment` when the pods are found through a Deployment); the runner
executes the Command. When kubectl exec fails before the remote command
started, `retry_command` tells why: a pod that vanished since the lookup gets
one fresh lookup; anything else kubectl reports becomes a CannotStart error.
"""

from __future__ import annotations

import re
import shlex

from emb import kube
from emb.errors import CannotStart, ConfigError, UsageError
from emb.executors import Command, RunContext
from emb.model import Task, effective_kubernetes

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def sh_quote(value: str) -> str:
    """POSIX single quotes where needed (shlex.quote): every byte passes unchanged,
    including newlines, `$`, backslashes, quotes and non-ASCII; plain words stay
    readable in --dry-run."""
    return shlex.quote(value)


def build_script(task: Task) -> str:
    """`export K='v'; ...; cd /dir || exit 1; <task script>` for `sh -c`."""
    parts = []
    for name, value in task.vars.items():
        if not _ENV_NAME.match(name):
            raise ConfigError(
                f"task {task.id}: var name {name!r} cannot be an environment variable",
                ["use letters, digits and underscores, not starting with a digit"],
            )
        if "\0" in str(value):
            raise ConfigError(
                f"task {task.id}: var {name} contains a NUL byte, which no command line can carry"
            )
        parts.append(f"export {name}={sh_quote(str(value))}")
    if task.workdir:
        parts.append(f"cd {sh_quote(task.workdir)} || exit 1")
    parts.append(task.script if task.script and task.script.strip() else ":")
    return "; ".join(parts)


def exec_argv(
    target: kube.Target,
    pod: str,
    container: str,
    argv: list[str] | tuple[str, ...],
    *,
    stdin: bool,
    tty: bool,
) -> list[str]:
    """`kubectl [--context C] --namespace N exec [-i] [-t] POD -c C -- ARGV`."""
    flags = (["-i"] if stdin else []) + (["-t"] if tty else [])
    return target.argv("exec", *flags, pod, "-c", container, "--", *argv)


def stdio_flags(interactive: bool, stdin_tty: bool, stdout_tty: bool) -> tuple[bool, bool]:
    """(-i, -t): `-i` when stdin is not a terminal or the run is interactive;
    `-t` only for interactive runs with stdin AND stdout on a terminal."""
    use_tty = interactive and stdin_tty and stdout_tty
    return (interactive or not stdin_tty, use_tty)


def _component(task: Task, ctx: RunContext):
    if not task.component:
        raise UsageError(
            f"task {task.id} is a project task; the kubernetes executor needs a component task"
        )
    try:
        return ctx.monorepo.components[task.component]
    except KeyError:
        raise UsageError(f"task {task.id}: unknown component {task.component!r}") from None


def target_for(ctx: RunContext) -> kube.Target:
    return kube.target_for(ctx.monorepo, namespace=ctx.namespace, context=ctx.context)


def command_for_pod(
    task: Task, ctx: RunContext, target: kube.Target, choice: kube.PodChoice
) -> Command:
    stdin, tty = stdio_flags(task.interactive, ctx.stdin_tty, ctx.stdout_tty)
    argv = exec_argv(
        target, choice.pod, choice.container, ["sh", "-c", build_script(task)], stdin=stdin, tty=tty
    )
    details: dict[str, str] = {
        "namespace": target.namespace,
        "namespace from": target.namespace_source,
        "context": target.context or "(kubectl's current context)",
        "pod": choice.pod,
        "container": choice.container,
        "selector": choice.selector or "(--pod)",
    }
    if choice.deployment:
        details["deployment"] = choice.deployment
    return Command(
        argv=tuple(argv),
        tty=tty,
        where=f"pod {choice.pod} (container {choice.container}, {target.describe()})",
        details=details,
    )


# Per emb invocation and task: the pod last chosen (to name it in errors) and
# the pods that vanished (the first is retried with a fresh lookup, a second
# is a clear error: no retry loops).
_chosen: dict[str, str] = {}
_vanished: dict[str, list[str]] = {}


def command(task: Task, ctx: RunContext) -> Command:
    component = _component(task, ctx)
    target = target_for(ctx)
    kube.ensure_kubectl(target)
    choice = kube.choose_pod(target, component, effective_kubernetes(ctx.monorepo), pod=ctx.pod)
    _chosen[task.id] = choice.pod
    return command_for_pod(task, ctx, target, choice)


def retry_command(task: Task, ctx: RunContext, result) -> Command | None:
    """After a failed run: None when the remote command itself failed (its
    exit code is the task's); a fresh Command when the pod vanished between
    lookup and exec (once); CannotStart when kubectl could not run it at all.
    """
    failure = kube.exec_failure(
        getattr(result, "stderr_tail", b"") or b"", int(getattr(result, "exit_code", 1))
    )
    if failure is None:
        return None
    target = target_for(ctx)
    vanished = failure.kind == "not_found" and failure.resource == "pods"
    pod = failure.name if vanished else _chosen.get(task.id, ctx.pod)
    if not vanished or ctx.pod:
        # With --pod there was no lookup: a missing pod is a wrong name, not a vanished one.
        raise kube.error_for(
            target, failure, doing=f"running task {task.id} in pod {pod or '?'}", pod=pod
        )
    seen = _vanished.setdefault(task.id, [])
    seen.append(failure.name or "?")
    if len(seen) > 1:
        raise CannotStart(
            f"pod {failure.name} disappeared before task {task.id} could start"
            f" (after a retry; earlier: {', '.join(seen[:-1])})",
            [
                f"the component's pods are changing (rollout?); check: {target.shell('get', 'pods')}",
                "run the task again once the rollout has finished",
            ],
        )
    component = _component(task, ctx)
    choice = kube.choose_pod(target, component, effective_kubernetes(ctx.monorepo), exclude=seen)
    _chosen[task.id] = choice.pod
    return command_for_pod(task, ctx, target, choice)
