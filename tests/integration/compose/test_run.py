"""`emb run` on the container executor, end to end: real emb, real Compose, real daemon."""

from __future__ import annotations

import os
import shlex
import sys

import pexpect
import pytest

from emb.executors.script import script_argv
from tests.integration.compose.conftest import size_seen_in_container

pytestmark = pytest.mark.docker  # real Docker daemon + Compose v2

SPECIAL = "quote ' dq \" dollar $HOME ${X} `bq` back\\slash\nnewline\ttab ünï € *?[a]"


def test_a_service_component_task_runs_in_its_container_by_default(project):
    done = project.emb("run", "api:where")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "in-container\n"
    assert "container" in done.stderr and "compose service api" in done.stderr


def test_exit_code_and_streams_pass_through(project):
    done = project.emb("run", "api:fail")
    assert done.returncode == 7
    assert done.stdout == ""
    assert "failing\n" in done.stderr


def test_vars_with_special_characters_arrive_unchanged(project):
    done = project.emb("run", "api:env", env={"SPECIAL_VALUE": SPECIAL})
    assert done.returncode == 0, done.stderr
    assert done.stdout == SPECIAL + "[]"


def test_scripts_stop_at_the_first_failing_command_in_the_container(project):
    """busybox has no bash: the launcher falls back to `sh -e` (with pipefail, which its sh has)."""
    done = project.emb("run", "api:errexit")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "before\n"


def test_arguments_after_a_double_dash_reach_the_script_in_the_container(project):
    done = project.emb("run", "api:args", "--", "a b", "-x", "")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[a b][-x][]\nsh\n"


def test_workdir(project):
    done = project.emb("run", "api:pwd")
    assert (done.returncode, done.stdout) == (0, "/etc\n")


def test_piped_stdin_reaches_the_task(project):
    done = project.emb("run", "api:cat", input="first\nsecond line\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "first\nsecond line\n<eof>\n"


def test_interactive_task_without_a_terminal_reads_stdin(project):
    done = project.emb("run", "api:console", input="echo from-console; exit 4\n")
    assert done.returncode == 4, done.stderr
    assert done.stdout == "from-console\n"


def test_interactive_task_on_a_terminal(project):
    child = pexpect.spawn(sys.executable, ["-m", "emb", "run", "api:console"], cwd=str(project.root),
                          env=project.env, dimensions=(30, 90), timeout=30, encoding="utf-8")
    try:
        child.expect("/srv/app # ")
        child.sendline("stty size; tty")
        child.expect(r"(\d+) (\d+)\r\n/dev/pts/\d+")
        assert child.match.groups() == ("30", "90")
        child.setwinsize(50, 120)
        assert size_seen_in_container(child, (50, 120)) == (50, 120)
        child.sendline("exit 6")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 6


def test_dry_run_prints_the_exec_line(project):
    done = project.emb("run", "--dry-run", "api:pwd", "api:env", env={"SPECIAL_VALUE": "a b"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    launcher = shlex.join(script_argv("pwd"))  # sh -c LAUNCHER emb pwd
    assert any(line.endswith(" exec -T -w /etc api " + launcher) for line in lines)
    # Runnable as printed: the values are in compose's environment (`env K=V`), not its argv.
    assert any(line.startswith("env SPECIAL='a b' EMPTY='' ") and " exec -T -e SPECIAL -e EMPTY api sh -c " in line
               for line in lines)


def test_stopped_service_is_a_clear_error(project):
    done = project.emb("run", "idle:hello")
    assert done.returncode == 125
    assert done.stdout == ""
    assert "emb: error: the Compose service idle is not running" in done.stderr
    assert "hint: start it with: emb up idle" in done.stderr


def test_non_service_component_lists_services(project):
    done = project.emb("run", "lib:only-container")
    assert done.returncode == 125
    assert "emb: error: lib is not a Docker Compose service (services: api, idle, web)" in done.stderr
    assert "never" not in done.stdout


def test_executor_priority_falls_back_to_local_when_not_a_service(project):
    done = project.emb("run", "lib:build")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "on-host\n"
    # ...and a component that is not a service defaults to local.
    assert project.emb("run", "lib:plain").stdout == "on-host\n"


def test_unreachable_daemon_is_a_clear_error(project):
    done = project.emb("run", "api:where", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert done.returncode == 125
    assert "emb: error: the Docker daemon is not reachable at unix:///nonexistent/docker.sock" in done.stderr


def test_missing_docker_cli_is_a_clear_error(project, tmp_path):
    # PATH holds only sh's tools: no docker, no docker-compose.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "cat", "printf"):
        os.symlink(f"/bin/{tool}" if os.path.exists(f"/bin/{tool}") else f"/usr/bin/{tool}", bin_dir / tool)
    done = project.emb("run", "lib:only-container", env={"PATH": str(bin_dir)})
    assert done.returncode == 125
    assert "emb: error: the docker CLI is not installed" in done.stderr
    # A task that may run locally still does: "is it a service?" is simply "no" then.
    done = project.emb("run", "api:where", env={"PATH": str(bin_dir)})
    assert (done.returncode, done.stdout) == (0, "on-host\n")


def test_one_compose_call_per_run_once_the_service_list_is_cached(project, tmp_path):
    """The container path costs the exec alone: the service list comes from the disk cache."""
    from emb.docker import compose

    real_plugin = compose._plugin_path()
    calls = tmp_path / "calls.log"
    plugins = tmp_path / "docker-config" / "cli-plugins"
    plugins.mkdir(parents=True)
    wrapper = plugins / "docker-compose"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {real_plugin} "$@"\n')
    wrapper.chmod(0o755)
    env = {"DOCKER_CONFIG": str(tmp_path / "docker-config")}

    first = project.emb("run", "api:where", env=env)
    assert (first.returncode, first.stdout) == (0, "in-container\n"), first.stderr
    exec_line = " ".join(["exec", "-T", "api", *script_argv('echo "${IN_SERVICE:-on-host}"')])
    assert calls.read_text().splitlines() == ["config --services", exec_line]
    calls.unlink()
    second = project.emb("run", "api:where", env=env)
    assert (second.returncode, second.stdout) == (0, "in-container\n")
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["exec"]


def test_var_values_are_never_on_a_command_line(project):
    import subprocess
    from pathlib import Path

    value = "s3cret-" + os.urandom(6).hex()
    emb = subprocess.Popen([sys.executable, "-m", "emb", "run", "api:secret"], cwd=project.root,
                           env={**project.env, "TOKEN_VALUE": value}, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert emb.stdout.readline() == b"ready\n"  # compose exec is running now
        seen = []
        for entry in Path("/proc").iterdir():
            try:
                if value.encode() in (entry / "cmdline").read_bytes():
                    seen.append(entry.name)
            except OSError:
                continue
        out, err = emb.communicate(b"\n", timeout=60)
    finally:
        emb.kill()
    assert seen == [], "the value is on a command line (ps shows it)"
    assert emb.returncode == 0, err
    assert out == value.encode()
