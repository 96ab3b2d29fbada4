"""The kubernetes executor: a task becomes `kubectl ... exec POD -c C -- sh -c SCRIPT`.

SPEC §4. The only side effects are read-only lookups (one `get pods`, plus
`get deployment` when the pods are found through a Deployment); the runner
executes the Command. When kubectl exec fails before the remote command
started, `after_failure` tells why: a pod that vanished since the lookup gets
one fresh lookup; anything else kubectl reports becomes a CannotStart error.
"""

from __future__ import annotations

import re
import shlex

from emb.errors import CannotStart, ConfigError, UsageError
from emb.executors import RunContext
from emb.kube import kubectl, pods
from emb.kube.errors import exec_failure
from emb.kube.target import Target, target_for
from emb.model import Component, Task
from emb.process.command import Command, RunResult

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def build_script(task: Task) -> str:
    """`export K='v'; ...; cd /dir || exit 1; <task script>` for `sh -c`.

    Values are POSIX single-quoted where needed (shlex.quote): every byte passes
    unchanged, including newlines, `$`, backslashes, quotes and non-ASCII; plain
    words stay readable in --dry-run."""
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
        parts.append(f"export {name}={shlex.quote(str(value))}")
    if task.workdir:
        parts.append(f"cd {shlex.quote(task.workdir)} || exit 1")
    parts.append(task.script if task.script and task.script.strip() else ":")
    return "; ".join(parts)


def exec_argv(target: Target, pod: str, container: str, argv, *, stdin: bool, tty: bool) -> list[str]:
    """`kubectl [--context C] --namespace N exec [-i] [-t] POD -c C -- ARGV`."""
    flags = (["-i"] if stdin else []) + (["-t"] if tty else [])
    return target.argv("exec", *flags, pod, "-c", container, "--", *argv)


class KubernetesExecutor:
    name = "kubernetes"

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.target = target_for(ctx.monorepo, namespace=ctx.namespace, context=ctx.context)
        # For this invocation: the pod last chosen per task (to name it in
        # errors), and the pods that vanished (the first is retried with a fresh
        # lookup, a second is a clear error: no retry loops).
        self._chosen: dict[str | None, str] = {}
        self._vanished: dict[str, list[str]] = {}

    def command(self, task: Task) -> Command:
        component = self._component(task)
        kubectl.ensure_kubectl(self.target)
        choice = pods.choose_pod(self.target, component, self.ctx.monorepo.kubernetes, pod=self.ctx.pod)
        self._chosen[task.id] = choice.pod
        return self._exec(task, choice)

    def after_failure(self, task: Task | None, result: RunResult) -> Command | None:
        """None when the remote command itself failed (its exit code is the
        task's); a fresh Command when the pod vanished between lookup and exec
        (once); CannotStart when kubectl could not run it at all."""
        failure = exec_failure(result.stderr_tail, result.exit_code)
        if failure is None:
            return None
        target = self.target
        key = None if task is None else task.id
        vanished = failure.kind == "not_found" and failure.resource == "pods"
        pod = failure.name if vanished else self._chosen.get(key, self.ctx.pod)
        if task is None or not vanished or self.ctx.pod:
            # With --pod there was no lookup: a missing pod is a wrong name, not a vanished one.
            doing = f"opening a shell in pod {pod}" if task is None else f"running task {task.id} in pod {pod or '?'}"
            raise kubectl.explain(target, failure, doing=doing, pod=pod)
        seen = self._vanished.setdefault(task.id, [])
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
        choice = pods.choose_pod(target, self._component(task), self.ctx.monorepo.kubernetes, exclude=seen)
        self._chosen[task.id] = choice.pod
        return self._exec(task, choice)

    def shell_command(self, component: Component, shell: str | None) -> Command:
        try:
            words = shlex.split(shell or "sh")
        except ValueError as exc:
            raise UsageError(f"-s/--shell: {exc}") from None
        if not words:
            raise UsageError("-s/--shell needs a program, e.g. -s bash")
        kubectl.ensure_kubectl(self.target)
        choice = pods.choose_pod(self.target, component, self.ctx.monorepo.kubernetes, pod=self.ctx.pod)
        self._chosen[None] = choice.pod
        tty = self.ctx.use_tty(True)
        # Without a terminal (a pipe, CI) the shell still runs, reading stdin (-i, no -t).
        argv = exec_argv(self.target, choice.pod, choice.container, words, stdin=True, tty=tty)
        return Command(argv=tuple(argv), tty=tty, where=self._where(choice))

    # -------------------------------------------------------------------------

    def _exec(self, task: Task, choice: pods.PodChoice) -> Command:
        # -i when the run is interactive or stdin is not a terminal; -t per the TTY rule.
        tty = self.ctx.use_tty(task.interactive)
        stdin = task.interactive or not self.ctx.stdin_tty
        target = self.target
        argv = exec_argv(target, choice.pod, choice.container, ["sh", "-c", build_script(task)],
                         stdin=stdin, tty=tty)
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
        return Command(argv=tuple(argv), tty=tty, where=self._where(choice), details=details)

    def _where(self, choice: pods.PodChoice) -> str:
        return f"pod {choice.pod} (container {choice.container}, {self.target.describe()})"

    def _component(self, task: Task) -> Component:
        if not task.component:
            raise UsageError(
                f"task {task.id} is a project task; the kubernetes executor needs a component task"
            )
        try:
            return self.ctx.monorepo.components[task.component]
        except KeyError:
            raise UsageError(f"task {task.id}: unknown component {task.component!r}") from None
