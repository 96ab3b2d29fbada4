"""`emb run -x kubernetes` end to end: real emb, real kubectl, tests/kubesim as the API server."""

from __future__ import annotations

import json

import pytest
import yaml

from emb.executors.script import LAUNCHER
from tests.integration.kubernetes.conftest import recorded_calls

pytestmark = pytest.mark.kubectl

HOSTNAME_TASK = """\
project: {name: shop}
components:
  api:
    rootDir: .
    tasks:
      migrate:
        script: 'echo "migrating in $HOSTNAME"'
        executors: [kubernetes]
"""


def test_migrate_runs_in_a_staging_pod(repo):
    pods = repo.sim.add_deployment("staging", "api", replicas=2)
    repo.sim.add_deployment("default", "api")  # a decoy in another namespace
    repo.write(HOSTNAME_TASK)
    out = repo.emb("run", "migrate", "-x", "kubernetes", "-n", "staging")
    assert out.returncode == 0, out.stderr
    [event] = repo.sim.execs
    assert (event.namespace, event.container) == ("staging", "api")
    assert event.pod in pods
    assert out.stdout == f"migrating in {event.pod}\n"
    assert f"pod {event.pod} (container api, namespace staging" in out.stderr


def test_first_ready_pod_oldest_first_ties_by_name(repo):
    labels = {"app": "api"}
    repo.sim.add_pod("default", "api-young", labels=labels, age=10, containers=[{"name": "app"}])
    repo.sim.add_pod(
        "default",
        "api-old-notready",
        labels=labels,
        age=500,
        ready=False,
        containers=[{"name": "app"}],
    )
    repo.sim.add_pod(
        "default", "api-oldest-terminating", labels=labels, age=900, containers=[{"name": "app"}]
    )
    repo.sim.set_terminating("default", "api-oldest-terminating")
    repo.sim.add_pod(
        "default",
        "api-b",
        labels=labels,
        created="2024-01-01T00:00:00Z",
        containers=[{"name": "app"}],
    )
    repo.sim.add_pod(
        "default",
        "api-a",
        labels=labels,
        created="2024-01-01T00:00:00Z",
        containers=[{"name": "app"}],
    )
    repo.write(
        HOSTNAME_TASK.replace(
            "    rootDir: .\n", "    rootDir: .\n    kubernetes: {selector: app=api}\n"
        )
    )
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "migrating in api-a\n"


def test_remote_exit_code_becomes_embs(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(HOSTNAME_TASK.replace("'echo \"migrating in $HOSTNAME\"'", "'echo partial; exit 3'"))
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 3
    assert out.stdout == "partial\n"
    assert "failed with exit code 3" in out.stderr
    assert "emb: error" not in out.stderr  # the task failed; emb itself did not


def test_piped_stdin_reaches_the_task(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(HOSTNAME_TASK.replace("'echo \"migrating in $HOSTNAME\"'", "'wc -l; cat /dev/null'"))
    out = repo.emb("run", "api:migrate", input="a\nb\nc\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


VARS = {
    "SINGLE": "it's",
    "DOUBLE": 'say "hi"',
    "DOLLAR": "$HOME ${PATH} `id` $(id)",
    "BACKSLASH": "a\\b\\\\c\\n",
    "NEWLINES": "line 1\nline 2\n\n",
    "UNICODE": "héllo ✓ 日本 🚀",
    "GLOB": "* ? [abc]",
    "EMPTY": "",
    "SEMI": "a; rm -rf / #",
}


def test_vars_arrive_byte_for_byte(repo, tmp_path):
    repo.sim.add_deployment("default", "api")
    workdir = tmp_path / "work dir"  # the simulated container is a local process: a host path
    workdir.mkdir()
    names = list(VARS)
    printf = "printf '%s\\0' " + " ".join(f'"${n}"' for n in names) + '; printf "%s\\0" "$PWD"'
    repo.write(
        yaml.safe_dump(
            {
                "project": {"name": "shop"},
                "components": {
                    "api": {
                        "rootDir": ".",
                        "tasks": {
                            "show": {
                                "executors": ["kubernetes"],
                                "workdir": str(workdir),
                                "script": printf,
                                # a literal `${` in a var is written `\${` (SPEC §1)
                                "vars": {k: v.replace("${", "\\${") for k, v in VARS.items()},
                            }
                        },
                    }
                },
            },
            allow_unicode=True,
        )
    )
    out = repo.emb("run", "api:show")
    assert out.returncode == 0, out.stderr
    values = out.stdout.split("\0")[:-1]
    assert dict(zip(names, values)) == VARS
    assert values[-1] == str(workdir)


def test_dry_run_shows_the_resolution_and_runs_nothing(repo):
    [pod] = repo.sim.add_deployment(
        "staging",
        "api",
        containers=[{"name": "app"}, {"name": "proxy"}],
        annotations={"kubectl.kubernetes.io/default-container": "app"},
    )
    repo.write(HOSTNAME_TASK)
    repo.sim.clear_requests()
    out = repo.emb("run", "api:migrate", "-n", "staging", "--context", "sim", "--dry-run")
    assert out.returncode == 0, out.stderr
    for line in (
        "# namespace: staging",
        "# context: sim",
        f"# pod: {pod}",
        "# container: app",
        "# selector: app=api",
        "# deployment: api",
    ):
        assert line in out.stdout
    assert f"kubectl --context sim --namespace staging exec {pod} -c app -- sh -c " in out.stdout
    assert "; echo \"migrating in $HOSTNAME\"'" in out.stdout
    assert repo.sim.execs == []
    assert {r.verb for r in repo.sim.api_calls()} <= {"get", "list"}

    plan = json.loads(repo.emb("run", "api:migrate", "-n", "staging", "--dry-run", "--json").stdout)
    [item] = plan["tasks"]
    assert item["argv"][:7] == ["kubectl", "--namespace", "staging", "exec", pod, "-c", "app"]
    assert item["details"]["namespace from"] == "--namespace"


def test_selector_path_costs_one_get_plus_the_exec(repo):
    """Argv recording: exactly `get pods -l SEL -o json`, then the exec."""
    [pod] = repo.sim.add_deployment("staging", "api", labels={"app": "api", "tier": "backend"})
    repo.write(
        HOSTNAME_TASK.replace(
            "    rootDir: .\n",
            "    rootDir: .\n    kubernetes: {selector: 'app=api,tier=backend'}\n",
        )
    )
    kubectl, log = repo.recorder()
    out = repo.emb("run", "api:migrate", "-n", "staging", "--context", "sim", EMB_KUBECTL=kubectl, input="")
    assert out.returncode == 0, out.stderr
    lookup, exec_call = recorded_calls(log)
    assert lookup == ["--context", "sim", "--namespace", "staging", "--request-timeout=10s",
                      "get", "pods,replicasets", "--selector=app=api,tier=backend", "-o", "json"]
    assert exec_call[:11] == ["--context", "sim", "--namespace", "staging", "exec", "-i", pod, "-c", "api", "--", "sh"]
    assert exec_call[11:13] == ["-c", LAUNCHER] and exec_call[13] == "emb"
    assert exec_call[14].endswith('; echo "migrating in $HOSTNAME"') and len(exec_call) == 15


def test_deployment_path_uses_its_selector(repo):
    [pod] = repo.sim.add_deployment(
        "default",
        "api-server",
        labels={"app": "api", "track": "stable"},
        selector={
            "matchLabels": {"app": "api"},
            "matchExpressions": [
                {"key": "track", "operator": "In", "values": ["stable", "canary"]}
            ],
        },
    )
    repo.sim.add_pod(
        "default",
        "api-stray",
        labels={"app": "api", "track": "legacy"},
        age=3600,
        containers=[{"name": "x"}],
    )  # older, matches app=api but not the deployment's selector
    repo.write(
        HOSTNAME_TASK.replace(
            "    rootDir: .\n", "    rootDir: .\n    kubernetes: {deployment: api-server}\n"
        )
    )
    kubectl, log = repo.recorder()
    out = repo.emb("run", "api:migrate", EMB_KUBECTL=kubectl, input="")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"migrating in {pod}\n"
    calls = recorded_calls(log)
    assert [c[1:3] for c in calls[:2]] == [["get", "deployment"], ["get", "pods,replicasets"]]
    assert calls[2][:2] == ["exec", "-i"]
    assert calls[1][3] == "--selector=app=api,track in (stable,canary)"
    # warm: the selector is cached (immutable), one lookup and the exec (which may start
    # first: it waits for the lookup's go, see test_day_one)
    assert repo.emb("run", "api:migrate", EMB_KUBECTL=kubectl, input="").returncode == 0
    warm = recorded_calls(log)[3:]
    assert sorted(" ".join(c[:3]) for c in warm) == sorted(
        [f"--request-timeout=10s get pods,replicasets", f"exec -i {pod}"])


def test_selector_label(repo):
    [pod] = repo.sim.add_deployment(
        "default", "whatever", labels={"app.kubernetes.io/component": "api"}
    )
    repo.write(
        HOSTNAME_TASK.replace(
            "components:", "kubernetes: {selectorLabel: app.kubernetes.io/component}\ncomponents:"
        )
    )
    out = repo.emb("run", "api:migrate")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"migrating in {pod}\n"


def test_pod_flag_overrides_the_choice(repo):
    pods = repo.sim.add_deployment("default", "api", replicas=3)
    repo.write(HOSTNAME_TASK)
    out = repo.emb("run", "api:migrate", "--pod", pods[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"migrating in {pods[2]}\n"
