"""The compose lifecycle arguments (emb.docker.compose) and `emb ps` rows, without a daemon."""

from __future__ import annotations

from emb.cli.compose import service_rows
from emb.docker import compose


def test_services_always_follow_a_double_dash():
    assert compose.up_args(["--help"]) == ["up", "-d", "--", "--help"]
    assert compose.up_args([], force_recreate=True) == ["up", "-d", "--force-recreate", "--"]
    assert compose.down_args(["api"], volumes=True) == ["down", "--volumes", "--", "api"]
    assert compose.start_args(["api", "web"]) == ["start", "--", "api", "web"]
    assert compose.stop_args() == ["stop", "--"]
    assert compose.restart_args(["api"], no_deps=True) == ["restart", "--no-deps", "--", "api"]
    assert compose.logs_args(["web"], follow=True, tail="5", timestamps=True, color=False) == [
        "logs", "--no-color", "--follow", "--timestamps", "--tail", "5", "--", "web"]


def test_dry_run_line():
    assert compose.shell_line(compose.stop_args(["a b"])) == "docker compose stop -- 'a b'"


def c(service, state, name=None):
    return {"Service": service, "State": state, "Name": name or f"p-{service}-1", "Status": state, "Ports": ""}


def test_ps_rows_one_per_service_unless_all():
    containers = [c("api", "running"), c("web", "exited"), c("web", "running", "p-web-2"),
                  c("job", "exited", "p-job-run-1"), c("job", "exited", "p-job-run-2")]
    rows = service_rows({"api", "web", "job", "idle"}, containers, all_containers=False)
    assert [(r["service"], r["state"], r["container"]) for r in rows] == [
        ("api", "running", "p-api-1"), ("idle", "not created", None), ("job", "exited", "p-job-run-1"),
        ("web", "running", "p-web-2")]
    rows = service_rows({"api", "web", "job", "idle"}, containers, all_containers=True)
    assert len(rows) == 6
