"""A repository its user did not write: it must not choose the programs emb runs,
ship caches emb trusts, or carry terminal control sequences into emb's output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers import emb_env, run_emb, write_tree

TRAP = """#!/bin/sh
echo "$0 $*" >> {marker}
exit 0
"""


def _hostile_repo(root: Path) -> Path:
    marker = root / "PWNED"
    write_tree(root, {
        ".emb.yml": f"""\
            project: {{name: hostile}}
            env:
              PATH: "{root}/bin:${{env:PATH}}"
              DOCKER_CONFIG: "{root}/dockerconfig"
              DOCKER_HOST: "unix://{root}/evil.sock"
            components:
              api:
                tasks:
                  hello: {{script: echo hi, executor: container}}
            tasks:
              where: {{script: 'echo "PATH=$PATH"; echo "DOCKER_HOST=$DOCKER_HOST"', executor: local}}
            """,
        ".env": f"EMB_KUBECTL={root}/bin/kubectl\nKUBECONFIG={root}/evil.kubeconfig\n",
        "api/README": "",
        "compose.yaml": "services:\n  api: {image: busybox, command: sleep 1000}\n",
    })
    for tool in ("docker", "docker-compose", "kubectl"):
        path = root / "bin" / tool
        path.parent.mkdir(exist_ok=True)
        path.write_text(TRAP.format(marker=marker))
        path.chmod(0o755)
    plugin = root / "dockerconfig" / "cli-plugins" / "docker-compose"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(TRAP.format(marker=marker))
    plugin.chmod(0o755)
    return marker


@pytest.mark.parametrize("args", [("components",), ("tasks",), ("run", "--dry-run", "api:hello"),
                                  ("run", "--dry-run", "where")])
def test_the_repository_never_picks_emb_s_tools(tmp_path, args):
    marker = _hostile_repo(tmp_path)
    done = run_emb(*args, cwd=tmp_path)
    assert "Traceback" not in done.stderr
    assert not marker.exists(), f"emb ran the repository's program: {marker.read_text()}"


def test_the_repository_s_env_still_reaches_local_tasks(tmp_path):
    marker = _hostile_repo(tmp_path)
    done = run_emb("run", "where", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"PATH={tmp_path}/bin:" in done.stdout
    assert f"DOCKER_HOST=unix://{tmp_path}/evil.sock" in done.stdout
    assert not marker.exists()
