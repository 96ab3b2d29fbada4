"""A pod vanishing between lookup and exec; interactive tasks under a pseudo-terminal."""

from __future__ import annotations

import sys
import time

import pexpect
import pytest

pytestmark = pytest.mark.kubectl

CONFIG = """\
project: {name: shop}
components:
  api:
    rootDir: .
    tasks:
      migrate: {script: 'echo "ran in $HOSTNAME"', executors: [kubernetes]}
"""


def test_pod_deleted_between_lookup_and_exec_is_retried_once(repo):
    pods = repo.sim.add_deployment("default", "api", replicas=2)
    repo.write(CONFIG)
    vanished = []

    def delete_target(event):
        vanished.append(event.pod)
        repo.sim.delete_pod("default", event.pod)

    repo.sim.on_next_exec(delete_target, when="before")
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 0, out.stderr
    assert vanished == [pods[0]]  # the oldest Ready pod was chosen, then vanished
    [event] = repo.sim.execs
    assert event.pod == pods[1]
    assert out.stdout == f"ran in {pods[1]}\n"
    assert f"retrying api:migrate (pod {pods[1]}" in out.stderr


def test_pod_vanishing_twice_is_a_clear_error(repo):
    pods = repo.sim.add_deployment("default", "api", replicas=3)
    repo.write(CONFIG)
    deleted = []

    def delete_every_target(event):
        if event.pod not in deleted:
            deleted.append(event.pod)
            repo.sim.delete_pod("default", event.pod)
        repo.sim.on_next_exec(delete_every_target, when="before")

    repo.sim.on_next_exec(delete_every_target, when="before")
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 125, out.stderr
    assert deleted == pods[:2]  # one retry, on a fresh lookup, and no more
    assert repo.sim.execs == []
    assert (
        f"emb: error: pod {pods[1]} disappeared before task api:migrate could start" in out.stderr
    )


def test_pod_flag_pod_missing(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(CONFIG.replace("rootDir: .", "rootDir: .\n    kubernetes: {container: api}"))
    out = repo.emb("run", "api:migrate", "--pod", "api-gone")
    assert out.returncode == 125, out.stderr
    assert "emb: error: no pod named 'api-gone' (or starting with it) in namespace default" in out.stderr
    assert "hint: list the pods: kubectl get pods" in out.stderr


INTERACTIVE = """\
project: {name: shop}
components:
  api:
    rootDir: .
    tasks:
      console:
        interactive: true
        executors: [kubernetes]
        script: |
          echo "size:$(stty size)"
          printf 'name? '
          read name
          echo "size:$(stty size)"
          echo "hello $name"
          exit 7
"""


def test_interactive_task_reads_input_sees_resize_and_returns_its_code(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(INTERACTIVE)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "emb", "run", "api:console"],
        cwd=str(repo.root),
        env=repo.env(),
        dimensions=(24, 80),
        timeout=30,
        encoding="utf-8",
    )
    try:
        child.expect(r"size:24 80")
        child.expect(r"name\? ")
        child.setwinsize(33, 120)  # SIGWINCH to emb -> kubectl resize message -> the pod's pty
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (120, 33) not in repo.sim.execs[-1].sizes:
            time.sleep(0.05)
        child.sendline("ada")
        child.expect(r"size:33 120")
        child.expect(r"hello ada")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 7
    [event] = repo.sim.execs
    assert (event.pod, event.tty, event.exit_code) == (pod, True, 7)
    assert (120, 33) in event.sizes


def test_interactive_task_without_a_terminal_reads_stdin_and_does_not_hang(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(INTERACTIVE.replace('echo "size:$(stty size)"', "echo no-tty"))
    out = repo.emb("run", "api:console", input="bob\n", timeout=30)
    assert out.returncode == 7, out.stderr
    assert "hello bob" in out.stdout
    assert repo.sim.execs[-1].tty is False
