"""`python -m tests.kubesim`: the shell entry point, with the example manifests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.kubesim.execstream import process_alive
from tests.kubesim.pytest_plugin import EXAMPLES

pytestmark = pytest.mark.kubectl
ROOT = Path(__file__).resolve().parents[3]


def test_shell_entry_point_serves_examples_until_sigterm(tmp_path):
    kubeconfig = tmp_path / "out" / "kubeconfig"
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.kubesim", "--manifests", str(EXAMPLES), "--port", "0",
         "--kubeconfig", str(kubeconfig), "--workdir", str(tmp_path / "state"),
         "--latency", "20", "--exec-idle-timeout", "0.3"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        second = server.stdout.readline()
        assert first == f"kubeconfig: {kubeconfig}\n", server.stderr.read() if server.poll() else first
        assert second.startswith("url: https://127.0.0.1:")
        assert "sim-ns (namespace shop)" in server.stdout.readline()
        env = {"KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(tmp_path / "cache"),
               "PATH": "/usr/bin:/bin"}

        def kubectl(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=30)

        started = time.monotonic()
        assert kubectl("get", "--raw", "/api/v1/namespaces/shop").returncode == 0
        assert time.monotonic() - started >= 0.02  # --latency 20
        out = kubectl("get", "deploy", "-n", "shop", "--no-headers")
        assert [line.split()[:2] for line in out.stdout.splitlines()] == [
            ["api", "2/2"], ["web", "3/3"], ["worker", "0/1"]]
        out = kubectl("exec", "-n", "shop", "deploy/api", "--", "sh", "-c", "echo $APP_ENV $LOG_LEVEL; pwd")
        assert out.returncode == 0, out.stderr
        env_line, cwd = out.stdout.splitlines()
        assert env_line == "production info"
        assert cwd.startswith(str(tmp_path / "state")) and cwd.endswith("/app")
        out = kubectl("--context", "sim-2", "get", "ns", "shop")
        assert out.returncode == 1  # the second cluster did not load the manifests

        running = subprocess.Popen(["kubectl", "exec", "-n", "staging", "toolbox", "--", "sh", "-c",
                                    "echo $$; sleep 60"], env=env, stdout=subprocess.PIPE, text=True)
        pid = int(running.stdout.readline())
        assert running.wait(10) == 1  # --exec-idle-timeout 0.3 cut the quiet exec; the process runs on
        assert process_alive(pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        running.wait(10)
        deadline = time.monotonic() + 5
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(pid)
        assert kubectl("get", "ns").returncode == 1  # nothing listens any more
    finally:
        server.kill()
        server.communicate()


def test_simulator_starts_in_well_under_a_second(tmp_path):
    from tests.kubesim.simulator import KubeSim

    KubeSim.start(tmp_path / "warm").stop()  # the certificate is made once per process
    started = time.monotonic()
    sim = KubeSim.start(tmp_path / "sim")
    try:
        assert time.monotonic() - started < 0.3
    finally:
        sim.stop()
