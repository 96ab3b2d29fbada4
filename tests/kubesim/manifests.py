"""Load Kubernetes YAML manifests (Namespace, Deployment, StatefulSet, DaemonSet, Pod, Service, ...).

Files are read in name order, documents may be multi-document YAML or `kind: List`.
Namespaces are created first and missing namespaces are made on the fly, so the
order of files does not matter. Simulator-only annotations on a Pod (or a workload's
pod template) shape the pods: `kubesim.emb.dev/ready: "false"` makes them NotReady,
`kubesim.emb.dev/terminating: "true"` gives them a deletionTimestamp; the others
(no shell, crash loop, unscheduled, unreachable kubelet, Windows, ...) are listed in
kubelet.py and README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import yaml

READY_ANNOTATION = "kubesim.emb.dev/ready"
TERMINATING_ANNOTATION = "kubesim.emb.dev/terminating"


def read_documents(path: Path) -> list[dict]:
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json")) if path.is_dir() else [path]
    docs: list[dict] = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            docs.extend(flatten(doc))
    return docs


def flatten(doc) -> Iterable[dict]:
    if not isinstance(doc, dict):
        return []
    if doc.get("kind", "").endswith("List") and "items" in doc:
        return [d for item in doc["items"] for d in flatten(item)]
    return [doc]


def ordered(docs: list[dict]) -> list[dict]:
    """Namespaces first, then everything else in file order."""
    return [d for d in docs if d.get("kind") == "Namespace"] + [d for d in docs if d.get("kind") != "Namespace"]
