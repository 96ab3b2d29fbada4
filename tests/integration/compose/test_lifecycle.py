"""`emb start/stop/restart/down SERVICE/ps -a/logs/logs archive/containers` against real Docker:
each command's effect on the project's containers, and the listings."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.compose.conftest import FILES

pytestmark = pytest.mark.docker  # real Docker daemon + Compose v2


def started_at(project, service: str) -> str:
    cid = project.compose("ps", "-a", "-q", service).stdout.strip()
    done = subprocess.run(["docker", "inspect", "--format", "{{.State.StartedAt}}", cid],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def fresh(compose_projects):
    """A project of its own with api and web running (these tests change it)."""
    p = compose_projects.make(FILES, up=False, prefix="life")
    p.up("api", "web")
    return p


def test_stop_then_start_a_service(fresh):
    done = fresh.emb("stop", "api")
    assert done.returncode == 0, done.stderr
    assert fresh.running() == {"web"}
    rows = {r["service"]: r for r in json.loads(fresh.emb("ps", "--json").stdout)}
    assert rows["api"]["state"] == "exited"  # the stopped container is kept
    assert rows["api"]["container"] == f"{fresh.name}-api-1"
    done = fresh.emb("start", "api")
    assert done.returncode == 0, done.stderr
    assert fresh.running() == {"api", "web"}
    done = fresh.emb("stop")
    assert done.returncode == 0, done.stderr
    assert fresh.running() == set()
    assert fresh.compose("ps", "-a", "-q").stdout.split()  # still there, stopped


def test_restart_restarts_only_the_named_service(fresh):
    api, web = started_at(fresh, "api"), started_at(fresh, "web")
    done = fresh.emb("restart", "--no-deps", "web")
    assert done.returncode == 0, done.stderr
    assert started_at(fresh, "web") != web
    assert started_at(fresh, "api") == api
    assert fresh.running() == {"api", "web"}


def test_down_of_one_service_leaves_the_others(fresh):
    done = fresh.emb("down", "web")
    assert done.returncode == 0, done.stderr
    assert fresh.running() == {"api"}
    assert fresh.compose("ps", "-a", "--services").stdout.split() == ["api"]


def test_dry_runs_print_the_compose_line_and_change_nothing(fresh):
    api = started_at(fresh, "api")
    expected = {
        ("up", "-f", "api"): "docker compose up -d --force-recreate -- api",
        ("down",): "docker compose down --",
        ("stop", "api", "web"): "docker compose stop -- api web",
        ("start",): "docker compose start --",
        ("restart", "-f", "api"): "docker compose restart --no-deps -- api",
    }
    for args, line in expected.items():
        done = fresh.emb(*args, "--dry-run")
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout == line + "\n", args
    assert fresh.running() == {"api", "web"}
    assert started_at(fresh, "api") == api


def test_unknown_services_are_refused_before_anything_runs(fresh):
    for cmd in ("start", "stop", "restart", "down"):
        done = fresh.emb(cmd, "api", "nope")
        assert done.returncode == 125, (cmd, done.stderr)
        assert "nope is not a Docker Compose service (services: api, idle, web)" in done.stderr
    assert fresh.running() == {"api", "web"}


def test_ps_all_lists_stopped_containers(fresh):
    fresh.stop("web")
    short = {r["service"]: r["state"] for r in json.loads(fresh.emb("ps", "--json").stdout)}
    assert short == {"api": "running", "web": "exited", "idle": "not created"}
    rows = json.loads(fresh.emb("ps", "-a", "--json").stdout)
    assert sorted((r["service"], r["state"]) for r in rows) == [
        ("api", "running"), ("idle", "not created"), ("web", "exited")]


def test_logs_of_several_services(project):
    done = project.emb("logs", "web", "api")
    assert done.returncode == 0, done.stderr
    assert "web says hello" in done.stdout
    done = project.emb("logs", "--tail", "1", "-t", "web")
    assert done.returncode == 0, done.stderr
    assert "web says hello" in done.stdout and "T" in done.stdout.split()[2]


def test_logs_archive_writes_one_file_per_service(project, tmp_path):
    done = project.emb("logs", "archive", "--json")
    assert done.returncode == 0, done.stderr
    written = {i["service"]: i["path"] for i in json.loads(done.stdout)}
    folder = project.root / ".emb" / "default" / "logs" / "docker" / "compose"
    assert written == {s: str(folder / f"{s}.log") for s in ("api", "idle", "web")}
    assert "web says hello" in (folder / "web.log").read_text()
    assert (folder / "web.log").stat().st_mode & 0o777 == 0o600
    assert "\x1b[" not in (folder / "web.log").read_text()  # no colour codes in a file

    out = tmp_path / "archive"
    done = project.emb("logs", "archive", "web", "-t", "--tail", "5", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["web.log"]
    line = (out / "web.log").read_text().splitlines()[0]
    assert "web says hello" in line and line.split("|", 1)[1].split()[0][:2] == "20"  # a timestamp

    done = project.emb("logs", "archive", "nope")
    assert done.returncode == 125
    assert "nope is not a Docker Compose service" in done.stderr


def test_containers_lists_the_projects_containers(project, compose_projects):
    other = compose_projects.make(FILES, up=False, prefix="other")
    other.up("web")  # another project's container must not show
    try:
        done = project.emb("containers", "--json")
        assert done.returncode == 0, done.stderr
        items = json.loads(done.stdout)
        assert [i["service"] for i in items] == ["api", "web"]
        assert set(items[0]) == {"id", "name", "image", "command", "created", "status", "ports", "service"}
        api = items[0]
        assert api["name"] == f"{project.name}-api-1"
        assert api["image"] == project.image
        assert api["status"].startswith("Up")
        assert api["created"].endswith("Z") and len(api["id"]) == 12
        assert "sleep 3600" in api["command"]
        table = project.emb("containers").stdout.splitlines()
        assert table[0].split()[:3] == ["CONTAINER", "ID", "NAME"]
        assert len(table) == 3
    finally:
        other.down()


def test_containers_all_and_prune(fresh):
    fresh.up("idle")
    fresh.stop("idle")
    assert [i["service"] for i in json.loads(fresh.emb("containers", "--json").stdout)] == ["api", "web"]
    assert [i["service"] for i in json.loads(fresh.emb("containers", "-a", "--json").stdout)] == [
        "api", "idle", "web"]
    done = fresh.emb("containers", "prune", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert f"would remove {fresh.name}-idle-1" in done.stderr
    assert fresh.compose("ps", "-a", "--services").stdout.split() == ["api", "idle", "web"]
    done = fresh.emb("containers", "prune")
    assert done.returncode == 0, done.stderr
    assert fresh.compose("ps", "-a", "--services").stdout.split() == ["api", "web"]
    assert fresh.running() == {"api", "web"}
