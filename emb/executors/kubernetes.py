"""The kubernetes executor: a task becomes
`kubectl [--context C] [--namespace N] exec [-i] [-t] POD -c C -- sh -c LAUNCHER emb SCRIPT ARGS...`.

SPEC §4. The only side effects are read-only lookups (one `get pods,replicasets`,
plus `get deployment` when a Deployment's selector is not cached yet); the
runner executes the Command. When kubectl exec fails before the remote command
started, `after_failure` tells why: a pod that vanished since the lookup gets
one fresh lookup; anything else kubectl reports becomes a CannotStart error.

Stopping the remote command: a real kubelet does not stop it when kubectl's
stream closes. SCRIPT therefore first records its pid (the remote process
group's leader) in /tmp/emb-run-TOKEN.pid; after Ctrl+C or --timeout,
`stop_remote` runs one more `kubectl exec` that signals that group (INT, then
TERM, then KILL) and says clearly when it could not.
"""

from __future__ import annotations

import os
import re
import shlex

from emb import output
from emb.errors import CannotStart, ConfigError, UsageError
from emb.executors import RunContext
from emb.executors.script import script_argv
from emb.kube import kubectl, lookup, pods
from emb.kube.errors import exec_failure
from emb.kube.target import Target, target_for
from emb.model import Component, Task
from emb.process.command import Command, RunResult

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PID_DIR = "/tmp"
# Exit codes that mean "killed": SIGKILL (OOM, eviction, deletion) and SIGTERM.
KILLED = (137, 143)


def pid_file(token: str) -> str:
    return f"{PID_DIR}/emb-run-{token}.pid"


VARS_END = "#emb-vars-end"
# Reads the `export` lines emb writes first on stdin, up to VARS_END, one `read` at a
# time (shells read pipes byte by byte, so the task's own input stays unread). A
# newline inside a value travels as "$__emb_nl".
# Input that ends before VARS_END means emb withdrew the exec (see _Gate): exit GATE_EXIT
# without running anything.
GATE_EXIT = 222
READ_VARS = (
    "__emb_ok=; __emb_nl=$(printf '\\nx'); __emb_nl=${__emb_nl%x}; while IFS= read -r __emb_l; do "
    "[ \"$__emb_l\" = '" + VARS_END + "' ] && { __emb_ok=1; break; }; "
    f'eval "$__emb_l"; done; [ -n "$__emb_ok" ] || exit {GATE_EXIT}; unset __emb_l __emb_nl __emb_ok'
)


class _Gate:
    """A speculative exec into the pod the last run chose, started while the lookup
    runs (both kubectl processes pay their start-up and credential plugin at once).
    The remote script waits on stdin; the lookup decides: the same pod -> the header
    goes out and the task runs; another pod, or an error -> the input ends, the
    script exits GATE_EXIT having run nothing, and after_failure execs into the
    right pod (or raises the lookup's error)."""

    def __init__(self, header: bytes):
        import threading

        self.header = header
        self.done = threading.Event()
        self.go = False
        self.other: lookup.PodChoice | None = None
        self.error: BaseException | None = None

    def decide(self, go: bool, other=None, error=None) -> None:
        self.go, self.other, self.error = go, other, error
        self.done.set()

    def wait(self) -> bytes | None:
        self.done.wait()
        return self.header if self.go else None


def _checked_vars(task: Task) -> list[tuple[str, str]]:
    out = []
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
        out.append((name, str(value)))
    return out


def vars_header(task: Task) -> bytes:
    """The task vars as one `export NAME='value'` line each, then VARS_END: what the
    SCRIPT of `build_script(..., vars_on_stdin=True)` reads first."""
    lines = [f"export {name}={shlex.quote(value)}".replace("\n", "'\"$__emb_nl\"'")
             for name, value in _checked_vars(task)]
    return ("\n".join([*lines, VARS_END]) + "\n").encode("utf-8", "surrogateescape")


def build_script(task: Task, token: str | None = None, vars_on_stdin: bool = False) -> str:
    """`echo $$ >PIDFILE; export K='v' (or: read them from stdin); cd /dir; <task script>`:
    the SCRIPT the errexit launcher runs (emb.executors.script).

    Values are POSIX single-quoted where needed (shlex.quote): every byte passes
    unchanged, including newlines, `$`, backslashes, quotes and non-ASCII; plain
    words stay readable in --dry-run. With `vars_on_stdin` the values are not in the
    script at all (a command line is visible to every user of the machine, in
    `ps`): `vars_header` carries them on stdin."""
    parts = []
    if token:
        # The pid of the remote shell (the launcher execs, so it stays this pid):
        # what stop_remote signals. A read-only /tmp only costs that ability.
        parts.append(f"{{ echo $$ >{pid_file(token)}; }} 2>/dev/null || :")
    checked = _checked_vars(task)
    if vars_on_stdin:
        parts.append(READ_VARS)
    else:
        parts.extend(f"export {name}={shlex.quote(value)}" for name, value in checked)
    if task.workdir:
        parts.append(f"cd {shlex.quote(task.workdir)}")
    parts.append(task.script if task.script and task.script.strip() else ":")
    return "; ".join(parts)


def stop_script(token: str) -> str:
    """Signal the recorded process group: INT, then TERM, then KILL, a second apart,
    until its leader (the task's shell) is gone (a zombie counts as gone); exit 0
    then, 3 when nothing was recorded, 1 when it survived."""
    f = pid_file(token)
    return (
        f"p=$(cat {f} 2>/dev/null) || exit 3; [ -n \"$p\" ] || exit 3; "
        "alive() { if [ -r /proc/$p/stat ]; then read -r _ _ st _ </proc/$p/stat; [ \"$st\" != Z ]; "
        "else kill -0 \"$p\" 2>/dev/null; fi; }; "
        "for s in INT TERM KILL; do alive || break; "
        "kill -s $s -- -\"$p\" 2>/dev/null || kill -s $s \"$p\" 2>/dev/null; "
        "i=0; while [ $i -lt 10 ] && alive; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; done; "
        f"rm -f {f}; ! alive"
    )


def exec_argv(target: Target, pod: str, container: str, argv, *, stdin: bool, tty: bool) -> list[str]:
    """`kubectl [--context C] [--namespace N] exec [-i] [-t] POD -c C -- ARGV`."""
    flags = (["-i"] if stdin else []) + (["-t"] if tty else [])
    return target.argv("exec", *flags, pod, "-c", container, "--", *argv)


def _token() -> str:
    return os.urandom(6).hex()


class KubernetesExecutor:
    name = "kubernetes"

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.target = target_for(ctx.monorepo, namespace=ctx.namespace, context=ctx.context)
        # For this invocation: the pod last chosen per task (to name it in
        # errors), and the pods that vanished (the first is retried with a fresh
        # lookup, a second is a clear error: no retry loops).
        self._chosen: dict[str | None, lookup.PodChoice] = {}
        self._tokens: dict[str, str] = {}
        self._vanished: dict[str, list[str]] = {}
        self._prefix_tried = False
        self._gates: dict[str, _Gate] = {}

    def command(self, task: Task) -> Command:
        component = self._component(task)
        kubectl.ensure_kubectl(self.target)
        speculative = self._speculate(task, component)
        if speculative is not None:
            return speculative
        choice = self._choose(component)
        lookup.remember_choice(self.ctx.monorepo, self.target, component, choice)
        return self._exec(task, choice)

    def _speculate(self, task: Task, component: Component) -> Command | None:
        """With the last run's pod known: exec into it at once, gated by the lookup (_Gate)."""
        ctx = self.ctx
        if (not ctx.speculate or ctx.pod or ctx.wait is not None or self.ctx.use_tty(task.interactive)
                or (self.target.exec_plugin and ctx.stdin_tty)):  # one prompt at a time
            return None
        cached = lookup.cached_choice(ctx.monorepo, self.target, component,
                                    ctx.container or component.kubernetes.container)
        if cached is None:
            return None
        import threading

        gate = _Gate(vars_header(task))
        self._gates[task.id] = gate

        def run_lookup():
            try:
                real = self._choose(component)
                lookup.remember_choice(ctx.monorepo, self.target, component, real)
            except BaseException as exc:  # reported by after_failure, in the main thread
                gate.decide(False, error=exc)
                return
            same = (real.pod, real.container) == (cached.pod, cached.container)
            gate.decide(same, other=None if same else real)

        threading.Thread(target=run_lookup, name="emb-lookup", daemon=True).start()
        return self._exec(task, cached, gate=gate)

    def after_failure(self, task: Task | None, result: RunResult) -> Command | None:
        """None when the remote command itself failed (its exit code is the
        task's); a fresh Command when the pod vanished between lookup and exec
        (once); CannotStart when kubectl could not run it at all; after exit
        137/143 one look at the pod says why (and the code stands)."""
        gate = None if task is None else self._gates.pop(task.id, None)
        if gate is not None and gate.done.wait(timeout=300) and not gate.go:
            if gate.error is not None:
                raise gate.error
            if gate.other is not None:
                return self._exec(task, gate.other)  # the pod changed since the last run
        failure = exec_failure(result.stderr_tail, result.exit_code)
        key = None if task is None else task.id
        chosen = self._chosen.get(key)
        if failure is None:
            if task is not None and result.exit_code in KILLED and chosen is not None:
                self._why_killed(chosen.pod, result.exit_code)
            return None
        target = self.target
        vanished = failure.kind == "not_found" and failure.resource == "pods"
        pod = failure.name if vanished else (chosen.pod if chosen else self.ctx.pod)
        if vanished and self.ctx.pod and task is not None and not self._prefix_tried:
            # --pod with a known container had no lookup: maybe a unique name prefix.
            self._prefix_tried = True
            doc = lookup.match_prefix(target, self.ctx.pod)
            choice = lookup.PodChoice(pods.pod_name(doc), chosen.container if chosen else "")
            return self._exec(task, choice)
        if task is None or not vanished or self.ctx.pod:
            doing = f"opening a shell in pod {pod}" if task is None else f"running task {task.id} in pod {pod or '?'}"
            raise kubectl.explain(target, failure, doing=doing, pod=pod)
        seen = self._vanished.setdefault(task.id, [])
        seen.append(failure.name or "?")
        if len(seen) > 1:
            raise CannotStart(
                f"pod {failure.name} disappeared before task {task.id} could start"
                f" (after a retry; earlier: {', '.join(seen[:-1])}; {target.describe()})",
                [
                    f"the component's pods are changing (rollout?); check: {target.shell('get', 'pods')}",
                    "run the task again once the rollout has finished",
                ],
            )
        choice = lookup.choose_pod(target, self._component(task), self.ctx.monorepo.kubernetes, exclude=seen,
                                 container=self.ctx.container, monorepo=self.ctx.monorepo)
        return self._exec(task, choice)

    def stop_remote(self, task: Task) -> bool | None:
        """After Ctrl+C or --timeout: stop the remote command (one more kubectl exec).
        True when it is gone, False when it may still run (a warning was printed),
        None when there was nothing to stop."""
        token = self._tokens.get(task.id)
        chosen = self._chosen.get(task.id)
        if not token or chosen is None:
            return None
        argv = exec_argv(self.target, chosen.pod, chosen.container, ["sh", "-c", stop_script(token)],
                         stdin=False, tty=False)
        from emb import process

        done = process.capture(argv, timeout=20)
        if done.returncode == 0:
            return True
        output.note(
            f"emb: warning: the remote command of {task.id} may still be running in pod {chosen.pod}"
            f" ({self.target.describe()})"
        )
        output.note(f"  check: {self.target.shell('exec', chosen.pod, '-c', chosen.container, '--', 'ps', '-ef')}")
        return False

    def shell_command(self, component: Component, shell: str | None) -> Command:
        words = None
        if shell:
            try:
                words = shlex.split(shell)
            except ValueError as exc:
                raise UsageError(f"-s/--shell: {exc}") from None
            if not words:
                raise UsageError("-s/--shell needs a program, e.g. -s bash")
        kubectl.ensure_kubectl(self.target)
        choice = self._choose(component, shell=True)
        if words is None:
            # bash when the image has it, else sh: decided in the pod, no extra round trip.
            words = ["sh", "-c", 'if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh']
        tty = self.ctx.use_tty(True)
        # Without a terminal (a pipe, CI) the shell still runs, reading stdin (-i, no -t).
        argv = exec_argv(self.target, choice.pod, choice.container, words, stdin=True, tty=tty)
        return Command(argv=tuple(argv), tty=tty, where=self._where(choice), tool=True)

    # -------------------------------------------------------------------------

    def all_pod_commands(self, task: Task) -> list[Command]:
        """--all-pods: the task's Command for every Ready pod of its component, in the
        usual order (newest revision, oldest first). One lookup for all of them."""
        component = self._component(task)
        kubectl.ensure_kubectl(self.target)
        if self.ctx.pod:
            raise UsageError("--all-pods and --pod do not go together")
        settings = self.ctx.monorepo.kubernetes
        podset = self._wait_for(component)
        ready = pods.ordered_ready(podset.pods, podset.replicasets)
        configured = self.ctx.container or component.kubernetes.container
        out = []
        for pod in ready:
            name = pods.pick_container(pod, configured, component.name, self.target)
            lookup.check_runnable(self.target, pod, name)
            choice = lookup.PodChoice(pods.pod_name(pod), name, podset.selector, podset.deployment)
            self._tokens.pop(task.id, None)
            cmd = self._exec(task, choice)
            out.append((choice, cmd, self._tokens.get(task.id)))
        self._all = [(choice, token) for choice, _, token in out]
        return [cmd for _, cmd, _ in out]

    def select(self, task: Task, index: int) -> None:
        """--all-pods: all_pod_commands()[index] is the one running now."""
        choice, token = self._all[index]
        self._chosen[task.id] = choice
        if token:
            self._tokens[task.id] = token

    def _wait_for(self, component: Component) -> lookup.PodSet:
        """The lookup's PodSet; with --wait, looked up again (once a second) until it has
        a Ready pod or the time is up."""
        import time

        deadline = None if self.ctx.wait is None else time.monotonic() + self.ctx.wait
        told = False
        while True:
            podset = lookup.component_pods(self.target, component, self.ctx.monorepo.kubernetes, self.ctx.monorepo)
            if pods.pick_pod(podset.pods, replicasets=podset.replicasets) is not None or deadline is None:
                break
            if time.monotonic() >= deadline:
                break
            if not told:
                output.note(f"emb: waiting up to {self.ctx.wait:g} s for a Ready pod ({self.target.describe()})")
                told = True
            time.sleep(1.0)
        if not podset.pods:
            raise lookup.no_pods_error(self.target, podset, component.name)
        if pods.pick_pod(podset.pods, replicasets=podset.replicasets) is None:
            raise lookup.no_ready_pod_error(self.target, podset, component.name)
        return podset

    def _choose(self, component: Component, shell: bool = False) -> lookup.PodChoice:
        settings = self.ctx.monorepo.kubernetes
        try:
            waited = (self._wait_for(component)
                      if self.ctx.wait is not None and not self.ctx.pod and not shell else None)
            choice = lookup.choose_pod(self.target, component, settings, pod=self.ctx.pod,
                                     container=self.ctx.container, monorepo=self.ctx.monorepo, podset=waited)
        except CannotStart as err:
            if not shell or self.ctx.pod or not err.message.startswith("no Ready pod"):
                raise
            # A shell is most needed when nothing is Ready: the newest Running pod.
            podset = lookup.component_pods(self.target, component, settings, self.ctx.monorepo)
            pod = lookup.newest_running(podset)
            if pod is None:
                raise
            name = pods.pick_container(pod, self.ctx.container or component.kubernetes.container,
                                       component.name, self.target)
            output.note(f"emb: warning: no Ready pod for {component.name}; "
                        f"using the newest Running pod, {pods.describe_pod(pod)}")
            choice = lookup.PodChoice(pods.pod_name(pod), name, podset.selector, podset.deployment)
        if choice.warning:
            output.note(f"emb: warning: {choice.warning}")
        return choice

    def _stdin(self, task: Task) -> bool:
        """-i when stdin can supply input (SPEC §4): a terminal for an interactive
        task, a pipe or a file otherwise; never /dev/null; never with --no-stdin."""
        if self.ctx.no_stdin:
            return False
        if self.ctx.stdin_tty:
            return task.interactive
        return self.ctx.stdin_supplies

    def _exec(self, task: Task, choice: lookup.PodChoice, gate: _Gate | None = None) -> Command:
        key = task.id
        self._chosen[key] = choice
        tty = self.ctx.use_tty(task.interactive)
        # Under a terminal Ctrl+C reaches the remote program itself: no record needed.
        token = None if tty else self._tokens.setdefault(key, _token())
        # Task vars travel on stdin, never on a command line (ps shows kubectl's argv);
        # under a pseudo-terminal they would be echoed, so there they stay in the script.
        on_stdin = (bool(task.vars) or gate is not None) and not tty
        stdin = self._stdin(task)
        target = self.target
        argv = exec_argv(target, choice.pod, choice.container,
                         script_argv(build_script(task, token, vars_on_stdin=on_stdin), self.ctx.task_args(task)),
                         stdin=stdin or on_stdin, tty=tty)
        details: dict[str, str] = {
            "namespace": target.namespace,
            "namespace from": target.namespace_source,
            "context": target.context_name or "(none)",
            "pod": choice.pod,
            "container": choice.container,
            "selector": choice.selector or "(--pod)",
        }
        if choice.deployment:
            details["workload" if "/" in choice.deployment else "deployment"] = choice.deployment
        if on_stdin and task.vars:
            details["vars on stdin"] = ", ".join(task.vars) + (", then emb's stdin" if stdin else "")
        if choice.warning:
            details["warning"] = choice.warning
        return Command(argv=tuple(argv), tty=tty, where=self._where(choice), details=details, tool=True,
                       stdin_header=(gate.wait if gate is not None else vars_header(task)) if on_stdin else None,
                       stdin_follows=stdin)

    def _why_killed(self, pod: str, code: int) -> None:
        """One look at the pod after exit 137/143: OOMKilled, evicted, deleted."""
        proc = kubectl.run_kubectl(self.target, ["get", "pod", "-o", "json", "--", pod])
        if proc.returncode != 0:
            why = "the pod is gone (deleted)" if b"NotFound" in proc.stderr else None
        else:
            import json

            try:
                doc = json.loads(proc.stdout)
            except ValueError:
                doc = {}
            status = doc.get("status") or {}
            reasons = []
            if (doc.get("metadata") or {}).get("deletionTimestamp"):
                reasons.append("the pod is being deleted")
            if status.get("reason") == "Evicted":
                reasons.append(f"the pod was evicted: {status.get('message') or ''}".rstrip(": "))
            for cs in status.get("containerStatuses") or []:
                last = (cs.get("lastState") or {}).get("terminated") or {}
                if last.get("reason") == "OOMKilled":
                    reasons.append(f"container {cs.get('name')} was OOMKilled (memory limit)")
            why = "; ".join(reasons) or None
        signal = "SIGKILL" if code == 137 else "SIGTERM"
        output.note(f"emb: task killed in pod {pod} (exit {code}, {signal}): "
                    + (why or "no reason recorded on the pod (a signal from inside the container?)"))

    def _where(self, choice: lookup.PodChoice) -> str:
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
