"""kubectl's stderr -> emb's errors: the one place that knows kubectl's wording.

Pure: `parse_failure` and `exec_failure` read stderr; `error_for` words the
SPEC §4 error (exit 125) for a Failure, given what a lookup may have told
about the cluster (emb.kube.kubectl.explain fetches that).
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from emb.errors import CannotStart, ConnectionLost
from emb.kube.target import Target


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
    lines: tuple[str, ...] = ()  # credentials: the plugin's own lines (what it printed)


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
    r'container (?P<name2>\S+) is not valid for pod|container (?P<name3>\S+) not found in pod'
)
_PATTERNS: tuple[tuple[str, _LazyPattern], ...] = (
    # A credential plugin (users[].exec) failed: client-go says "getting credentials".
    ("credentials", _LazyPattern(r"getting credentials: |exec plugin: invalid apiVersion|exec plugin is configured to use API version")),
    # The API server reached, but not the node's kubelet (exec and logs go through it).
    ("kubelet", _LazyPattern(r'error dialing backend|error sending request: \w+ "https?://[^"/]+:10250/')),
    # Windows node: the runtime (hcsshim) cannot start a POSIX shell.
    ("windows", _LazyPattern(r"hcs::System::CreateProcess")),
    # The image has no such program (a distroless image has no sh).
    ("no_shell", _LazyPattern(
        r'OCI runtime exec failed: .*(?:executable file not found in \$PATH|exec: "[^"]*": stat [^:]*: no such file or directory)')),
    # The kubelet looks the container up among the running ones only.
    ("not_running", _LazyPattern(r'container not found \("(?P<name>[^"]+)"\)')),
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
        if kind == "credentials":
            own = tuple(ln.strip() for ln in text.splitlines()
                        if ln.strip() and not _KUBECTL_LINE.match(ln.strip()))
            return Failure(kind, reason, lines=own[-10:])
        if kind == "container":
            return Failure(kind, reason, name=m.group("name2") or m.group("name3"))
        if kind == "not_running" and "name" in m.groupdict():
            return Failure(kind, reason, name=m.group("name"))
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



def error_for(
    target: Target,
    failure: Failure,
    *,
    doing: str,
    command: str | None = None,
    pod: str | None = None,
    cluster: tuple[str | None, str | None] | None = None,
) -> CannotStart:
    """`cluster`: (context name, server URL) as the kubeconfig says, for the
    kinds whose message names them (unreachable, unauthorized)."""
    kind, reason = failure.kind, failure.reason
    ctx, server = cluster or (target.context_name or target.context, target.server)
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
    where_ctx = f"context {ctx or '(none)'}, namespace {target.namespace}"
    if kind == "credentials":
        plugin = target.exec_plugin or "the credential plugin"
        said = failure.lines[-1] if failure.lines else _short(reason)
        hints = [f"{plugin} said: {line}" for line in failure.lines[-5:]]
        hints.append(f"log in again for context {ctx or '(current)'} (e.g. aws sso login, kubelogin), then retry")
        return CannotStart(f"credential plugin {plugin} failed ({where_ctx}): {said}", hints)
    if kind == "kubelet":
        return CannotStart(
            f"the API server cannot reach the kubelet of pod {pod or '?'}'s node ({where_ctx}): {_short(reason)}",
            [f"the cluster answers (get works), the node does not: {target.shell('get', 'pod', pod or 'POD', '-o', 'wide')}",
             "ask the cluster's admins about the node (kubelet down, firewall); or pick another pod with --pod"],
        )
    if kind == "windows":
        return CannotStart(
            f"pod {pod or '?'} runs on a Windows node: there is no POSIX sh to run the task ({where_ctx})",
            ["run the task on a Linux pod: set components.<name>.kubernetes.selector to select one, or use --pod"],
        )
    if kind == "no_shell":
        container = f" (container {failure.name})" if failure.name else ""
        return CannotStart(
            f"pod {pod or '?'}{container} has no sh in its image (distroless?): emb cannot run a script there ({where_ctx})",
            [f"debug it with kubectl debug (an ephemeral container with a shell): {target.shell('debug', '-it', pod or 'POD', '--image=busybox', '--target=CONTAINER')}",
             "or run the task in a container whose image has a shell (-c/--container)"],
        )
    if kind == "unreachable":
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
            f"cluster unreachable ({where or 'no server configured'}, namespace {target.namespace}): {_short(reason)}",
            [
                f"check the cluster: {target.shell_global('cluster-info')}",
                "check your network/VPN, or pick another cluster with --context",
            ],
        )
    if kind == "unauthorized":
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
        if resource == "pods/exec":
            hints.append("exec needs both create and get on pods/exec (API servers before 1.35 check get)")
        if (verb, resource) != ("create", "pods/exec"):
            hints.append(
                f"running tasks also needs: {target.shell('auth', 'can-i', 'create', 'pods/exec')}"
            )
        hints.append("the RBAC Role emb needs is in docs/kubernetes.md")
        return CannotStart(
            f"forbidden: {who} cannot {verb} {resource} in namespace {target.namespace} (context {ctx or '(none)'}; {doing})",
            hints,
        )
    if kind == "not_found" and failure.resource == "namespaces":
        return namespace_not_found(target)
    if kind == "not_found" and (failure.resource or "").startswith("deployments"):
        return CannotStart(
            f"deployment {failure.name!r} not found in namespace {target.namespace} (context {ctx or '(none)'})",
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
    if kind == "not_running" and failure.name:
        return CannotStart(
            f"container {failure.name!r} of pod {pod or '?'} is not running ({where_ctx})",
            [f"see why: {target.shell('describe', 'pod', pod or 'POD')}",
             f"its last output: {target.shell('logs', pod or 'POD', '-c', failure.name, '--previous')}"],
        )
    if kind == "not_running":
        return CannotStart(
            f"pod {pod or '?'} is not running, cannot exec into it: {_short(reason)}",
            [f"check it: {target.shell('get', 'pod', pod or '', '-o', 'wide')}".replace("  ", " ")],
        )
    if kind == "lost":
        # After the exec started: the task may have run, partly or fully (SPEC §3: 255).
        return ConnectionLost(
            f"lost the connection to the cluster while {doing} ({where_ctx}): {_short(reason)}; its outcome is unknown",
            [
                f"the remote command may still be running; check: {target.shell('exec', pod or 'POD', '--', 'ps')}"
                if pod else f"check the cluster: {target.shell_global('cluster-info')}",
            ],
        )
    hints = [f"run it yourself to see more: {command}"] if command else []
    return CannotStart(
        f"kubectl failed while {doing} ({where_ctx}): {_short(reason) or 'no error message'}", hints
    )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    for prefix in ("error: ", "Error from server: "):
        text = text.removeprefix(prefix)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def namespace_not_found(target: Target) -> CannotStart:
    return CannotStart(
        f"namespace {target.namespace!r} not found ({target.describe()})",
        [
            f"list the namespaces: {target.shell_global('get', 'namespaces')}",
            f"the namespace came from {target.namespace_source or 'the default'}; choose another with -n NAME",
        ],
    )

