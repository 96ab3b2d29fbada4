"""What emb prints on the example monorepo, byte for byte, against recorded snapshots.

These snapshots were recorded before the code was reshaped (issue "one shape
for growth") and guard every later refactoring: `--dry-run` command lines,
listings, and the wording of the errors a user meets on the example. A change
of output that is meant shows up here as a diff; re-record with
`EMB_UPDATE_SNAPSHOTS=1 scripts/test tests/integration/test_example_snapshots.py`
and review the diff like code.

Machine-specific parts are replaced before comparing: the copy's folder
(`<ROOT>`), the simulator's URL and kubeconfig, the Python binary.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_emb

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "production-ready"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "example"

# name -> (argv, extra environment); {missing} is a path that does not exist.
LOCAL_CASES = {
    "tasks": ["tasks"],
    "tasks-json": ["tasks", "--json"],
    "components": ["components"],
    "components-json": ["components", "--json"],
    "config-print": ["config", "print"],
    "config-print-staging-json": ["--flavor", "staging", "config", "print", "--json"],
    "dry-run-check": ["run", "--dry-run", "check"],
    "dry-run-check-json": ["run", "--dry-run", "--json", "check"],
    "dry-run-doctor": ["run", "--dry-run", "doctor"],
    "error-unknown-task": ["run", "migrat"],
    "error-ambiguous-task": ["run", "test"],
    "error-executor-not-allowed": ["run", "--dry-run", "-x", "local", "api:migrate"],
    "error-unknown-flavor": ["--flavor", "prod", "tasks"],
    "error-unknown-command": ["tsaks"],
    "error-project-task-on-kubernetes": ["run", "--dry-run", "-x", "kubernetes", "doctor"],
}

KUBE_CASES = {
    "k8s-dry-run-migrate": ["run", "--dry-run", "-x", "kubernetes", "api:migrate"],
    "k8s-dry-run-migrate-json": ["run", "--dry-run", "--json", "-x", "kubernetes", "api:migrate"],
    "k8s-dry-run-migrate-staging": ["--flavor", "staging", "run", "--dry-run", "-x", "kubernetes", "api:migrate"],
    "k8s-dry-run-migrate-production": ["--flavor", "production", "run", "--dry-run", "-x", "kubernetes", "api:migrate"],
    "k8s-dry-run-queue-stats": ["run", "--dry-run", "-n", "staging", "worker:queue-stats"],
    "k8s-dry-run-queue-stats-default": ["run", "--dry-run", "worker:queue-stats"],
    "k8s-dry-run-web-smoke": ["run", "--dry-run", "-x", "kubernetes", "-n", "staging", "web:smoke"],
    "k8s-error-pre-on-kubernetes": ["run", "--dry-run", "-x", "kubernetes", "-n", "staging", "check"],
    "k8s-dry-run-pod-flag": ["run", "--dry-run", "-x", "kubernetes", "-n", "staging", "--pod", "api-x", "api:migrate"],
    "k8s-error-namespace": ["run", "--dry-run", "-x", "kubernetes", "-n", "nowhere", "api:migrate"],
    "k8s-error-pod": ["run", "--dry-run", "-x", "kubernetes", "--pod", "api-nope", "api:migrate"],
    "k8s-error-context": ["run", "--dry-run", "-x", "kubernetes", "--context", "nope", "api:migrate"],
    "k8s-ps-unknown-component": ["kubernetes", "logs", "nope"],
    "k8s-error-no-kubectl": ["run", "--dry-run", "-x", "kubernetes", "api:migrate"],
}


@pytest.fixture
def example(tmp_path) -> Path:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".emb"))
    return root


def normalize(text: str, root: Path, extra: dict[str, str] = {}) -> str:
    text = text.replace(str(root), "<ROOT>")
    for value, name in extra.items():
        text = text.replace(value, name)
    text = re.sub(r"emb-run-[0-9a-f]{12}\.pid", "emb-run-<TOKEN>.pid", text)  # random per kubernetes run
    return re.sub(r"/[^\s'\"]*/python3?(\.\d+)?", "<PYTHON>", text)


def check(name: str, proc, root: Path, extra: dict[str, str] = {}) -> None:
    got = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    got = normalize(got, root, extra)
    file = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("EMB_UPDATE_SNAPSHOTS"):
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(got)
    assert file.is_file(), f"no snapshot {file}: record it with EMB_UPDATE_SNAPSHOTS=1"
    assert got == file.read_text(), f"output of {name} changed"


def local_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMB_", "K8S_", "KUBE", "COMPOSE_"))}
    env.update(NO_COLOR="1", COLUMNS="200")
    return env


@pytest.mark.parametrize("name", sorted(LOCAL_CASES))
def test_local_outputs_are_unchanged(name, example):
    proc = run_emb(*LOCAL_CASES[name], cwd=example, env=local_env(example))
    check(name, proc, example)


@pytest.mark.kubectl
@pytest.mark.parametrize("name", sorted(KUBE_CASES))
def test_kubernetes_outputs_are_unchanged(name, example, kubesim):
    kubesim.load_manifests(EXAMPLE / "k8s")
    env = kubesim.env(NO_COLOR="1", COLUMNS="200")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if name == "k8s-error-no-kubectl":
        env["EMB_KUBECTL"] = str(example / "no-such-kubectl")
    # The container executor is not the subject here: a task whose executors
    # start with container falls through to kubernetes only when no compose
    # file applies, so the copy keeps none.
    (example / "docker-compose.yml").unlink()
    proc = run_emb(*KUBE_CASES[name], cwd=example, env=env)
    pods = {p: f"<POD:{p.rsplit('-', 2)[0]}>" for ns in ("default", "staging", "production")
            for p in kubesim.pods(ns) if p.count("-") >= 2}
    check(name, proc, example, {kubesim.url: "<URL>", str(kubesim.kubeconfig): "<KUBECONFIG>", **pods})
