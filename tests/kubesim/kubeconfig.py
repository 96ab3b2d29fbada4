"""The kubeconfig the simulator writes: two clusters, four users, six contexts.

    context        cluster (server URL)                       user               namespace
    sim            sim    https://127.0.0.1:PORT               admin              -
    sim-readonly   sim    https://127.0.0.1:PORT               readonly           -
    sim-badtoken   sim    https://127.0.0.1:PORT               badtoken (401)     -
    sim-ns         sim    https://127.0.0.1:PORT               admin              shop
    sim-exec       sim    https://127.0.0.1:PORT               exec-user (plugin) -
    sim-2          sim-2  https://127.0.0.1:PORT/clusters/two  admin              -

admin may do anything; readonly is the "view" role; exec-user gets its token from an
exec credential plugin (tests/kubesim/credential-plugin, configured by a file
next to the kubeconfig), like `aws eks get-token` or kubelogin users do.

HTTPS because kubectl sends credentials only over TLS; the server's self-signed
certificate is embedded as certificate-authority-data, so verification stays on.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

from . import auth

PLUGIN = Path(__file__).with_name("credential-plugin")
NAMESPACED_CONTEXT = ("sim-ns", "shop")  # a context whose namespace is set, as kubens leaves it


def plugin_command() -> tuple[str, list[str]]:
    """The plugin by absolute path; through /bin/sh if the checkout lost its exec bit."""
    if os.access(PLUGIN, os.X_OK):
        return str(PLUGIN.resolve()), []
    return "/bin/sh", [str(PLUGIN.resolve())]


def kubeconfig(url: str, users: dict[str, auth.User], ca_pem: bytes, namespace: str | None = None,
               plugin_config: Path | None = None) -> dict:
    ca = base64.b64encode(ca_pem).decode()

    def context(name: str, cluster: str, user: str, ns: str | None = namespace) -> dict:
        ctx = {"cluster": cluster, "user": user}
        if ns:
            ctx["namespace"] = ns
        return {"name": name, "context": ctx}

    command, args = plugin_command()
    exec_user = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": command,
        "args": args,
        "env": [{"name": "KUBESIM_CREDENTIAL_CONFIG", "value": str(plugin_config or "")}],
        "interactiveMode": "IfAvailable",
        "provideClusterInfo": False,
        "installHint": "kubesim's exec credential plugin is tests/kubesim/credential-plugin",
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {"name": "sim", "cluster": {"server": url, "certificate-authority-data": ca}},
            {"name": "sim-2", "cluster": {"server": f"{url}/clusters/two", "certificate-authority-data": ca}},
        ],
        "users": [
            {"name": "admin", "user": {"token": users["admin"].token}},
            {"name": "readonly", "user": {"token": users["readonly"].token}},
            {"name": "badtoken", "user": {"token": auth.BAD_TOKEN}},
            {"name": "exec-user", "user": {"exec": exec_user}},
        ],
        "contexts": [
            context("sim", "sim", "admin"),
            context("sim-readonly", "sim", "readonly"),
            context("sim-badtoken", "sim", "badtoken"),
            context(NAMESPACED_CONTEXT[0], "sim", "admin", NAMESPACED_CONTEXT[1]),
            context("sim-exec", "sim", "exec-user"),
            context("sim-2", "sim-2", "admin"),
        ],
        "current-context": "sim",
    }


def write_kubeconfig(path: Path, url: str, users: dict[str, auth.User], ca_pem: bytes,
                     plugin_config: Path | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(url, users, ca_pem, plugin_config=plugin_config), sort_keys=False))
    path.chmod(0o600)
    return path
