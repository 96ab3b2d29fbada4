"""Every ```console example in docs/ runs, with the documented exit codes and output.

Each block runs as one bash script in a fresh copy of examples/production-ready
(the folder every page tells the reader to work from), with `emb` on PATH, no
stdin, and a simulated Kubernetes API server (tests/kubesim, real kubectl)
loaded with the example's k8s/ manifests. Blocks that use Docker get the real
daemon, the example's image (acme/busybox:local) and a Compose project name of
their own, brought down afterwards. See tests/docs/doc_examples.py for the
conventions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.docs.doc_examples import EXAMPLE, all_blocks, run_block, shown, verify

BLOCKS = all_blocks()
BIN = Path(sys.executable).parent


def _param(block):
    marks = [pytest.mark.kubectl]  # every block gets the simulated cluster and may use kubectl
    if block.needs_docker:
        marks.append(pytest.mark.docker)
    return pytest.param(block, id=block.id, marks=marks)




def copy_example(tmp_path: Path) -> Path:
    root = tmp_path / "examples" / "production-ready"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".emb", "busybox"))
    return root


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_doc_example(block, tmp_path, kubesim, request):
    root = copy_example(tmp_path)
    kubesim.load_manifests(EXAMPLE / "k8s")
    env = kubesim.env(NO_COLOR="1", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                      COMPOSE_PROJECT_NAME=f"emb-docs-{uuid.uuid4().hex[:8]}")
    if block.needs_docker:
        image = request.getfixturevalue("busybox_image")
        subprocess.run(["docker", "tag", image, "acme/busybox:local"], check=True, capture_output=True)
    try:
        results = run_block(block, root, env)
    finally:
        if block.needs_docker:
            subprocess.run(["docker", "compose", "down", "-t", "0", "--remove-orphans"],
                           cwd=root, env=env, capture_output=True, timeout=120)
    problems = verify(block, results)
    assert not problems, f"{block.id}: the example does not do what the page shows.\n\n" \
        f"The page shows:\n{shown(block)}\n\n" + "\n\n".join(problems)


def test_docs_have_runnable_examples_on_every_user_page():
    """Guards the parser: if it stopped finding blocks, the test above would pass vacuously."""
    pages = {b.page for b in BLOCKS}
    assert {"getting-started.md", "tasks.md", "flavors.md", "scripting.md",
            "configuration.md", "troubleshooting.md"} <= pages
    assert sum(len(b.commands) for b in BLOCKS) >= 40


@pytest.mark.kubectl
def test_example_manifests_load_into_the_simulator(kubesim):
    """examples/production-ready/k8s/ is what the demo and these docs run against."""
    kubesim.load_manifests(EXAMPLE / "k8s")
    for ns in ("staging", "production"):
        pods = kubesim.pods(ns)
        assert any(p.startswith("api-") for p in pods), pods
        assert any(p.startswith("web-frontend-") for p in pods), pods
        worker = next(p for p in pods if p.startswith("worker-"))
        containers = [c["name"] for c in kubesim.pod(ns, worker)["spec"]["containers"]]
        assert containers == ["worker", "metrics-sidecar"]
    assert kubesim.get("roles", "staging", "emb-task-runner") is not None
