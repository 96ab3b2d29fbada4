"""The kubeconfig the simulator writes: two clusters, three users, four contexts.

    context        cluster (server URL)                       user (token)
    sim            sim    https://127.0.0.1:PORT               admin     (may do anything)
    sim-readonly   sim    https://127.0.0.1:PORT               readonly  (get/list/watch, logs; no exec)
    sim-badtoken   sim    https://127.0.0.1:PORT               badtoken  (unknown token -> 401)
    sim-2          sim-2  https://127.0.0.1:PORT/clusters/two  admin     (separate state)

HTTPS because kubectl sends credentials only over TLS; the server's self-signed
certificate is embedded as certificate-authority-data, so verification stays on.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from . import auth


def kubeconfig(url: str, users: dict[str, auth.User], ca_pem: bytes, namespace: str | None = None) -> dict:
    ca = base64.b64encode(ca_pem).decode()

    def context(name: str, cluster: str, user: str) -> dict:
        ctx = {"cluster": cluster, "user": user}
        if namespace:
            ctx["namespace"] = namespace
        return {"name": name, "context": ctx}

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
        ],
        "contexts": [
            context("sim", "sim", "admin"),
            context("sim-readonly", "sim", "readonly"),
            context("sim-badtoken", "sim", "badtoken"),
            context("sim-2", "sim-2", "admin"),
        ],
        "current-context": "sim",
    }


def write_kubeconfig(path: Path, url: str, users: dict[str, auth.User], ca_pem: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(url, users, ca_pem), sort_keys=False))
    path.chmod(0o600)
    return path
