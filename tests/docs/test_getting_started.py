"""The by-hand steps of docs/getting-started.md that console blocks cannot hold:
starting the simulator in a second terminal and pointing kubectl at it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.docs.doc_examples import DOCS, TOP

PAGE = DOCS / "getting-started.md"


def sh_blocks(path: Path) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", path.read_text(), re.S | re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.kubectl
def test_the_documented_simulator_command_serves_the_example_pods(tmp_path):
    start = next(b for b in sh_blocks(PAGE) if "-m tests.kubesim" in b)
    point = next(b for b in sh_blocks(PAGE) if "export KUBECONFIG" in b)
    kubeconfig = tmp_path / "acme.kubeconfig"
    # The page's command, as typed from the repository root, on a port free here.
    command = start.replace("/tmp/acme.kubeconfig", str(kubeconfig))
    command = command.replace("--port 6443", f"--port {free_port()}")
    command = command.replace(".venv/bin/python", sys.executable)
    server = subprocess.Popen(["bash", "-c", "exec " + command.strip()], cwd=TOP,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not kubeconfig.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kubeconfig.exists(), f"the simulator did not start: {server.poll()}"
        steps = point.replace("/tmp/acme.kubeconfig", str(kubeconfig))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "K8S_", "EMB_"))}
        done = subprocess.run(["bash", "-ec", steps + "\npwd\n"], cwd=TOP, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        pods = done.stdout
        for prefix in ("api-", "web-frontend-", "worker-"):
            assert re.search(rf"^{prefix}\S+\s+\d/\d\s+Running", pods, re.M), pods
        assert "worker-" in pods and " 2/2 " in pods  # worker + metrics-sidecar, both ready
        assert done.stdout.strip().endswith("examples/production-ready")
    finally:
        server.terminate()
        server.wait(timeout=10)
