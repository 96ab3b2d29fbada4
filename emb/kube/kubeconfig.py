"""What the kubeconfig says, read the way kubectl reads it, without starting kubectl.

SPEC §4 shows the effective context and namespace in the "running" line,
--dry-run, --json and errors "without an extra kubectl process": a kubectl
process costs 70-150 ms and, with a credential plugin, a token; reading the
YAML costs a few milliseconds. The rules are client-go's: KUBECONFIG is a
list of files (else ~/.kube/config); the first file that names a context,
cluster or user defines it; the first file that sets current-context wins.
With no kubeconfig at all, in a pod, kubectl uses the service account and its
namespace. KUBECONFIG and HOME come from the environment emb was started in.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, NamedTuple

from emb import launch

SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


class KubeconfigView(NamedTuple):
    context: str | None  # the context kubectl would use (None: none set)
    namespace: str | None  # that context's namespace (None: kubectl uses "default")
    server: str | None
    exec_plugin: str | None  # the user's credential plugin command, if any
    files: tuple[str, ...] = ()
    in_cluster: bool = False


def kubeconfig_files(environ: Mapping[str, str] | None = None) -> list[str]:
    environ = launch.launch_environ() if environ is None else environ
    value = environ.get("KUBECONFIG") or ""
    files = [f for f in value.split(os.pathsep) if f]
    if files:
        return list(dict.fromkeys(files))
    home = environ.get("HOME") or os.path.expanduser("~")
    return [os.path.join(home, ".kube", "config")]


def _load(path: str) -> Mapping[str, Any]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    import yaml  # here: only kubernetes runs read a kubeconfig

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(data, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _named(docs, key: str, name: str | None) -> Mapping[str, Any]:
    if not name:
        return {}
    for doc in docs:
        for entry in doc.get(key) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                inner = entry.get(key[:-1])
                return inner if isinstance(inner, dict) else {}
    return {}


def read_view(context: str | None = None, environ: Mapping[str, str] | None = None) -> KubeconfigView:
    """The context (given, else current), its namespace, server and credential plugin."""
    environ = launch.launch_environ() if environ is None else environ
    files = kubeconfig_files(environ)
    docs = [_load(f) for f in files]
    docs = [d for d in docs if d]
    if not docs and not environ.get("KUBECONFIG") and environ.get("KUBERNETES_SERVICE_HOST"):
        try:
            with open(SERVICE_ACCOUNT_NAMESPACE, encoding="utf-8") as f:
                namespace = f.read().strip() or None
        except OSError:
            namespace = None
        return KubeconfigView(None, namespace, None, None, tuple(files), in_cluster=True)
    if context is None:
        context = next((d.get("current-context") for d in docs if d.get("current-context")), None)
    ctx = _named(docs, "contexts", context)
    cluster = _named(docs, "clusters", ctx.get("cluster"))
    user = _named(docs, "users", ctx.get("user"))
    plugin = user.get("exec") if isinstance(user.get("exec"), dict) else None
    return KubeconfigView(
        context=context or None,
        namespace=str(ctx["namespace"]) if ctx.get("namespace") else None,
        server=str(cluster["server"]) if cluster.get("server") else None,
        exec_plugin=str(plugin.get("command") or "") or None if plugin else None,
        files=tuple(files),
    )
