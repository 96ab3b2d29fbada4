"""The kubectl wrapper: where kubectl points, what it returns, what its errors mean.

emb never talks to the Kubernetes API itself (SPEC §4): it runs the user's
`kubectl` with their kubeconfig. This module owns everything about that:

- resolution of the namespace and the context (pure functions, SPEC §4 order);
- the base arguments `kubectl [--context C] --namespace N`;
- JSON getters (`kubectl get ... -o json`), each one kubectl process;
- pod and container choice from those JSON documents (pure functions);
- the ONE place that turns kubectl's stderr into an emb error (exit 125) with
  hints naming the exact kubectl command to investigate.

Every kubectl process costs ~70-150 ms of start-up, so callers ask for as
little as possible: a selector known from the config means one `get pods`;
extra diagnostics (does the namespace exist? which server?) are only run
after something already failed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from emb.errors import CannotStart, UsageError

KUBECTL_ENV = (
    "EMB_KUBECTL"  # override the kubectl command (a path, or words like "minikube kubectl --")
)
NAMESPACE_ENV = "K8S_NAMESPACE"
DEFAULT_NAMESPACE = "default"
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
INSTALL_URL = "https://kubernetes.io/docs/tasks/tools/"

Pod = Mapping[str, Any]  # a pod as `kubectl get pods -o json` returns it


# ---------------------------------------------------------------------------
# Namespace and context (SPEC §4), pure.


class Resolved(NamedTuple):
    """A resolved setting and where it came from (shown by --dry-run)."""

    value: str | None
    source: str


def resolve_namespace(
    cli: str | None,
    environ: Mapping[str, str],
    config: str | None,
    defaults: str | None,
) -> Resolved:
    """`-n` > `K8S_NAMESPACE` > config `kubernetes.namespace` (after flavor
    patches) > `defaults.kubernetes.namespace` > "default".

    An empty value counts as unset (`K8S_NAMESPACE= emb ...`, or a config value
    like `${env:K8S_NAMESPACE:-}`), except on the command line where `-n ""`
    is a mistake worth reporting.
    """
    if cli is not None:
        if not cli.strip():
            raise UsageError("-n/--namespace needs a namespace name, got an empty string")
        return Resolved(cli, "--namespace")
    for value, source in (
        (environ.get(NAMESPACE_ENV), NAMESPACE_ENV),
        (config, "kubernetes.namespace"),
        (defaults, "defaults.kubernetes.namespace"),
    ):
        if value:
            return Resolved(value, source)
    return Resolved(DEFAULT_NAMESPACE, "default")


def resolve_context(cli: str | None, config: str | None, defaults: str | None) -> Resolved:
    """`--context` > config `kubernetes.context` > `defaults.kubernetes.context` >
    None (kubectl's current context, which honours KUBECONFIG by itself)."""
    if cli is not None:
        if not cli.strip():
            raise UsageError("--context needs a kubeconfig context name, got an empty string")
        return Resolved(cli, "--context")
    if config:
        return Resolved(config, "kubernetes.context")
    if defaults:
        return Resolved(defaults, "defaults.kubernetes.context")
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
    top, dflt = monorepo.kubernetes, monorepo.defaults_kubernetes
    ns = resolve_namespace(namespace, environ, top.namespace, dflt.namespace)
    ctx = resolve_context(context, top.context, dflt.context)
    return Target(
        namespace=ns.value or DEFAULT_NAMESPACE,
        context=ctx.value,
        kubectl=kubectl_command(environ),
        namespace_source=ns.source,
        context_source=ctx.source,
    )


# ---------------------------------------------------------------------------
# Running kubectl.


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
    from emb.process import which

    if which(target.kubectl[0]) is None:
        raise _not_installed(target)


def run_kubectl(
    target: Target, args: Sequence[str], *, namespaced: bool = True
) -> subprocess.CompletedProcess:
    """Run one kubectl command, capture its output (bytes); never raises for exit codes."""
    argv = (
        target.argv(*args)
        if namespaced
        else [*target.kubectl, *(["--context", target.context] if target.context else []), *args]
    )
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True)
    except FileNotFoundError:
        raise _not_installed(target) from None
    except PermissionError:
        raise CannotStart(
            f"kubectl cannot be executed: {argv[0]} (permission denied)",
            [f"check: ls -l $(command -v {argv[0]})"],
        ) from None


def get_json(target: Target, args: Sequence[str], *, doing: str) -> Any:
    """`kubectl [--context C] --namespace N ARGS -o json`, parsed; kubectl errors become CannotStart."""
    proc = run_kubectl(target, [*args, "-o", "json"])
    if proc.returncode != 0:
        raise error_from_stderr(target, proc.stderr, doing=doing, command=target.shell(*args))
    return _parse_json(proc.stdout, target, args, doing)


def _parse_json(stdout: bytes, target: Target, args: Sequence[str], doing: str) -> Any:
    try:
        return json.loads(stdout)
    except ValueError:
        raise CannotStart(
            f"kubectl returned something that is not JSON while {doing}",
            [f"try it yourself: {target.shell(*args, '-o', 'json')}"],
        ) from None


# ---------------------------------------------------------------------------
# Classifying kubectl's stderr: the one place that knows kubectl's wording.


class Failure(NamedTuple):
    """What went wrong, as read from kubectl's stderr."""

    kind: str  # see _PATTERNS; "other" when unrecognised
    reason: str  # kubectl's own words (the most telling line)
    resource: str | None = (
        None  # "pods", "deployments.apps", "namespaces"... (not found / forbidden)
    )
    name: str | None = None  # the object's name (not found / container not found)
    verb: str | None = None  # forbidden: "create", "list"...
    user: str | None = None  # forbidden: the user the cluster saw


class _LazyPattern:
    """A regex compiled on first use. kubectl's error patterns matter only once
    something failed; compiling all of them at import cost ~4 ms per run."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args):
        self._args = args
        self._compiled = None

    def __getattr__(self, name):  # search, match, pattern...: the compiled pattern's
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


_NOT_FOUND = _LazyPattern(
    r'Error from server \(NotFound\):.*?(?P<resource>[a-z0-9.]+) "(?P<name>[^"]*)" not found'
)
_FORBIDDEN = _LazyPattern(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>\w+) resource "(?P<resource>[^"]+)"'
    r'(?: in API group "(?P<group>[^"]*)")?'
)
_CONTAINER = _LazyPattern(
    r'container not found \("(?P<name>[^"]+)"\)|container (?P<name2>\S+) is not valid for pod'
)
_PATTERNS: tuple[tuple[str, _LazyPattern], ...] = (
    (
        "context",
        _LazyPattern(
            r"context was not found for specified context|no context exists with the name|context \".*\" does not exist|current-context is not set"
        ),
    ),
    (
        "unauthorized",
        _LazyPattern(
            r"\(Unauthorized\)|You must be logged in to the server|unable to upgrade connection: Unauthorized|\bUnauthorized\b$",
            re.MULTILINE,
        ),
    ),
    (
        "forbidden",
        _LazyPattern(r"\(Forbidden\)|is forbidden:|unable to upgrade connection: Forbidden"),
    ),
    ("container", _CONTAINER),
    (
        "not_running",
        _LazyPattern(
            r"cannot exec into a container in a completed pod|pod does not exist|does not have a host assigned|container .* is not running|unable to upgrade connection: container not running"
        ),
    ),
    ("not_found", _NOT_FOUND),
    (
        "unreachable",
        _LazyPattern(
            r"Unable to connect to the server|The connection to the server .* was refused|connection refused|no such host"
            r"|i/o timeout|TLS handshake timeout|context deadline exceeded|network is unreachable|no route to host"
            r"|dial tcp|Client\.Timeout exceeded|certificate signed by unknown authority|x509:"
        ),
    ),
    (
        "lost",
        _LazyPattern(
            r"lost connection to pod|error reading from error stream|websocket: close|connection reset by peer|unexpected EOF"
            r"|broken pipe|use of closed network connection|error: Internal error occurred: error executing command in container"
        ),
    ),
)

# kubectl's own error lines (as opposed to whatever the remote command printed).
_KUBECTL_LINE = _LazyPattern(
    r"^(Error from server|error:|Error:|Unable to connect to the server|The connection to the server|Error in configuration|[EWF]\d{4} \d\d:\d\d)"
)
_REMOTE_EXIT = _LazyPattern(r"^command terminated with exit code (\d+)\s*$", re.MULTILINE)


def _telling_line(text: str) -> str:
    """kubectl's most useful line: the last error-looking line, klog noise removed."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if _KUBECTL_LINE.match(ln) and not re.match(r"^[EWIF]\d{4} ", ln):
            return ln
    return lines[-1] if lines else ""


def parse_failure(stderr: str | bytes) -> Failure:
    """Recognise one of the SPEC §4 failure kinds in kubectl's stderr (pure)."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    reason = _telling_line(text)
    for kind, pattern in _PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "not_found":
            return Failure(kind, reason, resource=m.group("resource"), name=m.group("name"))
        if kind == "forbidden":
            fm = _FORBIDDEN.search(text)
            if fm:
                return Failure(
                    kind,
                    reason,
                    resource=fm.group("resource"),
                    verb=fm.group("verb"),
                    user=fm.group("user"),
                )
            return Failure(kind, reason)
        if kind == "container":
            return Failure(kind, reason, name=m.group("name") or m.group("name2"))
        return Failure(kind, reason)
    return Failure("other", reason)


def exec_failure(stderr_tail: bytes | str, exit_code: int) -> Failure | None:
    """Did kubectl itself fail (rather than the remote command)? None when the
    remote command ran and exited with its own code.

    kubectl exec exits with the remote exit code and says "command terminated
    with exit code N" when it is non-zero; its own failures exit 1 and end
    with an error line of kubectl's. Output of the task that merely *looks*
    like a kubectl error is not enough: the last line must be kubectl's.
    """
    text = stderr_tail.decode("utf-8", "replace") if isinstance(stderr_tail, bytes) else stderr_tail
    lines = [ln.strip() for ln in text.replace("\r", "\n").splitlines() if ln.strip()]
    if not lines or _REMOTE_EXIT.match(lines[-1]):
        return None
    tail = "\n".join(lines[-20:])
    if exit_code != 1 and not re.search(
        r"websocket: close|lost connection|error reading from error stream", tail
    ):
        return None
    if not _KUBECTL_LINE.match(lines[-1]) and not _PATTERNS[-1][1].search(lines[-1]):
        return None
    failure = parse_failure(tail)
    return failure


def error_from_stderr(
    target: Target, stderr: bytes | str, *, doing: str, command: str | None = None
) -> CannotStart:
    """kubectl failed: the SPEC §4 error for it (message + hints, exit 125)."""
    return error_for(target, parse_failure(stderr), doing=doing, command=command)


def error_for(
    target: Target,
    failure: Failure,
    *,
    doing: str,
    command: str | None = None,
    pod: str | None = None,
) -> CannotStart:
    kind, reason = failure.kind, failure.reason
    if kind == "context":
        return CannotStart(
            f"kubectl context {target.context!r} not found in your kubeconfig"
            if target.context
            else "kubectl has no current context (no cluster configured)",
            [
                "list the contexts: kubectl config get-contexts -o name",
                f"the context came from {target.context_source}"
                if target.context
                else "pick one: kubectl config use-context NAME, or pass --context",
            ],
        )
    if kind == "unreachable":
        ctx, server = describe_cluster(target)
        if not ctx and not server:
            # kubectl fell back to localhost:8080: there is no kubeconfig context at all.
            kubeconfig = os.environ.get("KUBECONFIG") or "~/.kube/config"
            return CannotStart(
                f"kubectl has no cluster configured (no current context in {kubeconfig})",
                [
                    "list the contexts: kubectl config get-contexts -o name",
                    "choose one: kubectl config use-context NAME, or pass --context / set kubernetes.context",
                ],
            )
        where = ", ".join(
            x for x in (f"context {ctx}" if ctx else "", f"server {server}" if server else "") if x
        )
        return CannotStart(
            f"cannot reach the Kubernetes cluster ({where or 'no server configured'}): {_short(reason)}",
            [
                f"check the cluster: {target.shell_global('cluster-info')}",
                "check your network/VPN, or pick another cluster with --context",
            ],
        )
    if kind == "unauthorized":
        ctx, _ = describe_cluster(target)
        return CannotStart(
            f"the cluster rejected kubectl's credentials (Unauthorized, context {ctx or target.context or 'current'})",
            [
                "log in again / refresh your credentials for this cluster",
                f"check which user kubectl uses: {target.shell_global('config', 'view', '--minify')}",
            ],
        )
    if kind == "forbidden":
        verb = failure.verb or ("create" if "exec" in doing else "get")
        resource = failure.resource or ("pods/exec" if "exec" in doing else "pods")
        who = f"user {failure.user!r}" if failure.user else "your user"
        hints = [f"check your permissions: {target.shell('auth', 'can-i', verb, resource)}"]
        if (verb, resource) != ("create", "pods/exec"):
            hints.append(
                f"running tasks also needs: {target.shell('auth', 'can-i', 'create', 'pods/exec')}"
            )
        hints.append("the RBAC Role emb needs is in docs/kubernetes.md")
        return CannotStart(
            f"forbidden: {who} cannot {verb} {resource} in namespace {target.namespace} ({doing})",
            hints,
        )
    if kind == "not_found" and failure.resource == "namespaces":
        return namespace_not_found(target)
    if kind == "not_found" and (failure.resource or "").startswith("deployments"):
        return CannotStart(
            f"deployment {failure.name!r} not found in namespace {target.namespace}",
            [
                f"list the deployments: {target.shell('get', 'deployments')}",
                "set components.<name>.kubernetes.deployment (or .selector) in .emb.yml if it is named differently",
            ],
        )
    if kind == "not_found" and failure.resource == "pods":
        return CannotStart(
            f"pod {failure.name!r} not found in namespace {target.namespace}",
            [f"list the pods: {target.shell('get', 'pods')}"],
        )
    if kind == "container":
        name = failure.name or "?"
        hints = (
            [
                f"list its containers: {target.shell('get', 'pod', pod, '-o', 'jsonpath={.spec.containers[*].name}')}"
            ]
            if pod
            else []
        )
        hints.append("set components.<name>.kubernetes.container in .emb.yml to one of them")
        return CannotStart(
            f"container {name!r} not found in pod {pod or '?'} (namespace {target.namespace})",
            hints,
        )
    if kind == "not_running":
        return CannotStart(
            f"pod {pod or '?'} is not running, cannot exec into it: {_short(reason)}",
            [f"check it: {target.shell('get', 'pod', pod or '', '-o', 'wide')}".replace("  ", " ")],
        )
    if kind == "lost":
        return CannotStart(
            f"lost the connection to the cluster while {doing}: {_short(reason)}",
            [
                f"the remote command may still be running; check: {target.shell_global('cluster-info')}"
            ],
        )
    hints = [f"run it yourself to see more: {command}"] if command else []
    return CannotStart(
        f"kubectl failed while {doing}: {_short(reason) or 'no error message'}", hints
    )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    for prefix in ("error: ", "Error from server: "):
        text = text.removeprefix(prefix)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def namespace_not_found(target: Target) -> CannotStart:
    return CannotStart(
        f"namespace {target.namespace!r} not found ({target.describe()})",
        [
            f"list the namespaces: {target.shell_global('get', 'namespaces')}",
            f"the namespace came from {target.namespace_source or 'the default'}; choose another with -n NAME",
        ],
    )


def namespace_missing(target: Target) -> bool:
    """After an empty result: is it because the namespace does not exist?
    False when we cannot tell (e.g. no permission to read namespaces)."""
    proc = run_kubectl(target, ["get", "namespace", target.namespace, "-o", "name"])
    if proc.returncode == 0:
        return False
    failure = parse_failure(proc.stderr)
    return failure.kind == "not_found" and failure.resource == "namespaces"


# ---------------------------------------------------------------------------
# Label selectors, pure.


class Requirement(NamedTuple):
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        if self.op in ("=", "in"):
            return has and value in self.values
        # "!=" and "notin" match objects without the label too (Kubernetes semantics).
        return not has or value not in self.values


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


# Label keys are `[prefix/]name`, values `[A-Za-z0-9._-]*` (Kubernetes syntax rules).
_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_SET_REQ = _LazyPattern(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[A-Za-z0-9._,\s-]*)\)$")
_EQ_REQ = _LazyPattern(rf"^(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>[A-Za-z0-9._-]*)$")


def parse_selector(selector: str) -> tuple[Requirement, ...]:
    """`app=api,tier in (a,b),!legacy` -> requirements; UsageError when malformed."""
    reqs = []
    for part in _split_top_level(selector):
        if m := _SET_REQ.match(part):
            values = tuple(v.strip() for v in m.group("values").split(",") if v.strip())
            reqs.append(Requirement(m.group("key"), m.group("op"), values))
        elif m := _EQ_REQ.match(part):
            op = "!=" if m.group("op") == "!=" else "="
            reqs.append(Requirement(m.group("key"), op, (m.group("value"),)))
        elif re.match(rf"^!\s*{_KEY}$", part):
            reqs.append(Requirement(part[1:].strip(), "!exists"))
        elif re.match(rf"^{_KEY}$", part):
            reqs.append(Requirement(part, "exists"))
        else:
            raise UsageError(
                f"invalid label selector {selector!r} (at {part!r})",
                ["selectors look like: app=api,tier=backend  or  app in (api,worker)"],
            )
    return tuple(reqs)


def selector_matches(
    selector: str | Sequence[Requirement], labels: Mapping[str, str] | None
) -> bool:
    reqs = parse_selector(selector) if isinstance(selector, str) else selector
    labels = labels or {}
    return bool(reqs) and all(r.matches(labels) for r in reqs)


def deployment_selector(deployment: Mapping[str, Any]) -> str:
    """A Deployment's spec.selector (matchLabels + matchExpressions) as a `-l` string."""
    sel = (deployment.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for expr in sel.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


# ---------------------------------------------------------------------------
# Pods, pure: readiness, choice, container, display.


def pod_name(pod: Pod) -> str:
    return (pod.get("metadata") or {}).get("name", "")


def pod_labels(pod: Pod) -> Mapping[str, str]:
    return (pod.get("metadata") or {}).get("labels") or {}


def pod_containers(pod: Pod) -> list[str]:
    return [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]


def is_terminating(pod: Pod) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_ready(pod: Pod) -> bool:
    """Condition Ready=True and not being deleted (SPEC §4)."""
    if is_terminating(pod):
        return False
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def created_at(pod: Pod) -> datetime | None:
    stamp = (pod.get("metadata") or {}).get("creationTimestamp")
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


def oldest_first(pods: Iterable[Pod]) -> list[Pod]:
    """Oldest creationTimestamp first, ties by name; pods without a timestamp last."""
    return sorted(pods, key=lambda p: (created_at(p) or _FAR_FUTURE, pod_name(p)))


def pick_pod(pods: Iterable[Pod], exclude: Iterable[str] = ()) -> Pod | None:
    """The first Ready pod, oldest first, ties by name (SPEC §4 "Which pod")."""
    skip = set(exclude)
    ready = [p for p in pods if is_ready(p) and pod_name(p) not in skip]
    ordered = oldest_first(ready)
    return ordered[0] if ordered else None


def pod_status(pod: Pod) -> str:
    """A one-word status like kubectl's STATUS column."""
    if is_terminating(pod):
        return "Terminating"
    status = pod.get("status") or {}
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        waiting = state.get("waiting") or {}
        if waiting.get("reason"):
            return waiting["reason"]
        terminated = state.get("terminated") or {}
        if terminated.get("reason") and status.get("phase") != "Running":
            return terminated["reason"]
    return status.get("reason") or status.get("phase") or "Unknown"


def ready_count(pod: Pod) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    return f"{ready}/{len(pod_containers(pod))}"


def restart_count(pod: Pod) -> int:
    return sum(
        int(cs.get("restartCount") or 0)
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    )


def describe_pod(pod: Pod) -> str:
    """`api-1 (Running, not ready)` for error messages."""
    readiness = (
        "terminating" if is_terminating(pod) else ("ready" if is_ready(pod) else "not ready")
    )
    phase = (pod.get("status") or {}).get("phase") or "Unknown"
    return f"{pod_name(pod)} ({phase}, {readiness})"


def human_age(then: datetime | None, now: datetime | None = None) -> str:
    """Compact age like kubectl's AGE column: 45s, 3m20s, 95m, 5h12m, 30h, 3d4h, 40d, 2y10d."""
    if then is None:
        return "<unknown>"
    now = now or datetime.now(timezone.utc)
    s = max(0, int((now - then).total_seconds()))
    m, h, d = s // 60, s // 3600, s // 86400
    if s < 120:
        return f"{s}s"
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if d < 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 730:
        return f"{d}d"
    years, days = d // 365, d % 365
    return f"{years}y{days}d" if years < 8 and days else f"{years}y"


def container_yaml_hint(component: str, container: str) -> str:
    return f"components: {{{component}: {{kubernetes: {{container: {container}}}}}}}"


def pick_container(
    pod: Pod, configured: str | None, component: str, target: Target | None = None
) -> str:
    """SPEC §4 "Which container": configured (must exist) > default-container
    annotation > the only container > error listing the containers."""
    names = pod_containers(pod)
    pod_id = pod_name(pod)
    listed = ", ".join(names) or "none"
    if configured:
        if configured in names:
            return configured
        hints = [f"set components.{component}.kubernetes.container in .emb.yml to one of: {listed}"]
        if target:
            hints.append(
                f"check: {target.shell('get', 'pod', pod_id, '-o', 'jsonpath={.spec.containers[*].name}')}"
            )
        return _raise(
            CannotStart(
                f"container {configured!r} not found in pod {pod_id} (containers: {listed})", hints
            )
        )
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        DEFAULT_CONTAINER_ANNOTATION
    )
    if annotated and annotated in names:
        return annotated
    if len(names) == 1:
        return names[0]
    if not names:
        return _raise(CannotStart(f"pod {pod_id} has no containers"))
    return _raise(
        CannotStart(
            f"pod {pod_id} has {len(names)} containers ({listed}); emb cannot tell which one runs component {component}'s tasks",
            [
                f"choose one in .emb.yml:  {container_yaml_hint(component, names[0])}",
                f"or annotate the pod template with {DEFAULT_CONTAINER_ANNOTATION}: {names[0]}",
            ],
        )
    )


def _raise(err: Exception):
    raise err


# ---------------------------------------------------------------------------
# Finding a component's pods: the only lookups a run pays for.


class PodSet(NamedTuple):
    """A component's pods as found in the cluster."""

    selector: str
    deployment: str | None  # set when the selector came from a Deployment
    pods: tuple[Pod, ...]


def component_pods(target: Target, component, settings) -> PodSet:
    """One `get pods -l SEL` (plus one `get deployment` when the selector comes
    from a Deployment). Empty results are checked for a missing namespace."""
    from emb.model import pod_source

    kind, value = pod_source(component, settings)
    deployment = None
    if kind == "deployment":
        deployment = value
        doing = f"looking up deployment {value} of component {component.name}"
        proc = run_kubectl(target, ["get", "deployment", value, "-o", "json"])
        if proc.returncode != 0:
            failure = parse_failure(proc.stderr)
            if failure.kind == "not_found" and namespace_missing(target):
                raise namespace_not_found(target)
            raise error_for(
                target, failure, doing=doing, command=target.shell("get", "deployment", value)
            )
        dep = _parse_json(proc.stdout, target, ["get", "deployment", value], doing)
        selector = deployment_selector(dep)
        if not selector:
            raise CannotStart(
                f"deployment {value} has an empty spec.selector; emb cannot tell its pods",
                [
                    f"check it: {target.shell('get', 'deployment', value, '-o', 'yaml')}",
                    f"or set components.{component.name}.kubernetes.selector in .emb.yml",
                ],
            )
    else:
        selector = value
    listing = get_json(
        target,
        ["get", "pods", "-l", selector],
        doing=f"listing the pods of component {component.name}",
    )
    pods = tuple(listing.get("items") or [])
    if not pods and deployment is None and namespace_missing(target):
        raise namespace_not_found(target)
    return PodSet(selector, deployment, pods)


def no_pods_error(target: Target, podset: PodSet, component: str) -> CannotStart:
    via = f" (deployment {podset.deployment}'s selector)" if podset.deployment else ""
    return CannotStart(
        f"no pods match selector {podset.selector}{via} in namespace {target.namespace} for component {component}",
        [
            f"check: {target.shell('get', 'pods', '-l', podset.selector)}",
            (
                f"the pods come from components.{component}.kubernetes.selector, kubernetes.selectorLabel, "
                "or the deployment named after the component (docs/kubernetes.md)"
            ),
        ],
    )


def no_ready_pod_error(target: Target, podset: PodSet, component: str) -> CannotStart:
    shown = [describe_pod(p) for p in oldest_first(podset.pods)]
    more = f", … ({len(shown) - 5} more)" if len(shown) > 5 else ""
    first = pod_name(oldest_first(podset.pods)[0])
    return CannotStart(
        f"no Ready pod for component {component} in namespace {target.namespace}: {', '.join(shown[:5])}{more}",
        [
            f"check: {target.shell('get', 'pods', '-l', podset.selector)}",
            f"see why: {target.shell('describe', 'pod', first)}",
            "or pick a pod yourself with --pod NAME",
        ],
    )


class PodChoice(NamedTuple):
    pod: str
    container: str
    selector: str | None = None  # None when the pod was given with --pod
    deployment: str | None = None


def choose_pod(
    target: Target, component, settings, *, pod: str | None = None, exclude: Iterable[str] = ()
) -> PodChoice:
    """SPEC §4: the pod and container a component's task runs in.

    `--pod NAME` with a configured container needs no lookup at all (kubectl
    exec reports a missing pod or container itself; see retry/exec errors);
    otherwise one `get pod NAME`. Without --pod: `component_pods`, then the
    first Ready pod, oldest first.
    """
    configured = component.kubernetes.container
    if pod:
        if configured:
            return PodChoice(pod, configured)
        doc = get_json(target, ["get", "pod", pod], doing=f"looking up pod {pod}")
        return PodChoice(pod, pick_container(doc, None, component.name, target))
    podset = component_pods(target, component, settings)
    if not podset.pods:
        raise no_pods_error(target, podset, component.name)
    chosen = pick_pod(podset.pods, exclude=exclude)
    if chosen is None:
        raise no_ready_pod_error(target, podset, component.name)
    container = pick_container(chosen, configured, component.name, target)
    return PodChoice(pod_name(chosen), container, podset.selector, podset.deployment)
