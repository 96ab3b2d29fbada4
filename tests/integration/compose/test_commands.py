"""`emb up/down/ps/logs/shell` as a user runs them, against real Docker."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

from tests.integration.compose.conftest import FILES, size_seen_in_container

pytestmark = pytest.mark.docker  # real Docker daemon + Compose v2


def test_ps_lists_every_service_with_its_state(project):
    done = project.emb("ps", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["service"]: r for r in json.loads(done.stdout)}
    assert {s: r["state"] for s, r in rows.items()} == {"api": "running", "web": "running", "idle": "not created"}
    assert rows["api"]["container"] == f"{project.name}-api-1"

    table = project.emb("ps").stdout.splitlines()
    assert table[0].split() == ["SERVICE", "STATE", "CONTAINER", "STATUS", "PORTS"]
    assert [line.split()[:2] for line in table[1:]] == [["api", "running"], ["idle", "not"], ["web", "running"]]


def test_logs_of_a_service(project):
    done = project.emb("logs", "web")
    assert done.returncode == 0, done.stderr
    assert "web says hello" in done.stdout


def test_unknown_component_lists_the_services(project):
    for args in (["logs", "nope"], ["up", "api", "nope"], ["shell", "nope"]):
        done = project.emb(*args)
        assert done.returncode == 125, (args, done.stderr)
        assert "nope is not a Docker Compose service (services: api, idle, web)" in done.stderr


def test_up_and_down(compose_projects):
    p = compose_projects.make(FILES, up=False, prefix="updown")
    done = p.emb("up", "api", "idle")
    assert done.returncode == 0, done.stderr
    assert p.running() == {"api", "idle"}
    done = p.emb("up")
    assert done.returncode == 0, done.stderr
    assert p.running() == {"api", "idle", "web"}
    done = p.emb("down")
    assert done.returncode == 0, done.stderr
    assert p.running() == set()
    assert p.compose("ps", "-a", "-q").stdout.strip() == ""


def test_no_compose_file_is_a_clear_error(compose_projects):
    p = compose_projects.make({".emb.yml": FILES[".emb.yml"], "api/README": "", "idle/README": "",
                               "lib/README": ""}, up=False, prefix="nofile")
    for args in (["ps"], ["up"], ["logs", "api"]):
        done = p.emb(*args)
        assert done.returncode == 125, (args, done.stderr)
        assert f"no Docker Compose file in {p.root}" in done.stderr


def test_unreachable_daemon_is_a_clear_error(project):
    for args in (["ps"], ["up", "api"], ["logs", "web"]):  # captured and streamed compose calls
        done = project.emb(*args, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
        assert done.returncode == 125, (args, done.stderr)
        assert "emb: error: the Docker daemon is not reachable at unix:///nonexistent/docker.sock" in done.stderr
        assert "hint:" in done.stderr


def test_shell_reads_piped_stdin_and_returns_its_exit_code(project):
    done = project.emb("shell", "api", input='echo "answer $((6 * 7)) in $(pwd)"; exit 3\n')
    assert done.returncode == 3, done.stderr
    assert done.stdout == "answer 42 in /srv/app\n"


def test_shell_of_a_stopped_service_suggests_up(project):
    done = project.emb("shell", "idle", input="true\n")
    assert done.returncode == 125
    assert "emb: error: the Compose service idle is not running" in done.stderr
    assert "hint: start it with: emb up idle" in done.stderr


def spawn_emb(project, *args, rows=24, cols=80):
    return pexpect.spawn(
        sys.executable, ["-m", "emb", *args], cwd=str(project.root), env=project.env,
        dimensions=(rows, cols), timeout=30, encoding="utf-8",
    )


def test_interactive_shell_on_a_terminal_follows_resizes(project):
    child = spawn_emb(project, "shell", "api", "-s", "sh", rows=24, cols=80)
    try:
        # Type only once the shell prompts: input sent earlier may be flushed
        # when docker switches its terminal to raw mode.
        child.expect("/srv/app # ")
        child.sendline("stty size; echo tty=$(tty)")
        child.expect(r"(\d+) (\d+)\r\n")
        assert child.match.groups() == ("24", "80")
        child.expect(r"tty=(/dev/pts/\d+)")  # a real terminal inside the container
        child.setwinsize(40, 132)  # the kernel sends SIGWINCH to emb
        assert size_seen_in_container(child, (40, 132)) == (40, 132)
        child.sendline("exit 5")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 5


def test_logs_follow_stops_on_ctrl_c(project):
    child = spawn_emb(project, "logs", "web", "-f")
    try:
        child.expect("web says hello")
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
def test_logs_follow_stopped_by_a_signal_leaves_no_compose_behind(project, signum):
    import signal
    import subprocess
    from pathlib import Path

    emb = subprocess.Popen([sys.executable, "-m", "emb", "logs", "web", "-f"], cwd=project.root, env=project.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert b"web says hello" in emb.stdout.readline()  # compose is following the logs now
        children = Path(f"/proc/{emb.pid}/task/{emb.pid}/children").read_text().split()
        assert children, "compose should run as emb's child"
        emb.send_signal(getattr(signal, signum))
        assert emb.wait(timeout=30) == 128 + getattr(signal, signum)
        # emb waited for (and reaped) compose before exiting: nothing left under init.
        assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == [], "compose outlived emb"
    finally:
        emb.kill()
        emb.wait()
