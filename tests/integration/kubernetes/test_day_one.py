"""Issue 16 against kubesim with the real kubectl: a context namespace, names that
could be flags, a rollout caught in the middle, crash-looping and shell-less
containers (when kubesim simulates them), a `while read` loop, Ctrl+C stopping
the remote command, a silent API server, `restart` scoped to the monorepo."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.integration.kubernetes.conftest import recorded_calls

pytestmark = pytest.mark.kubectl

TASKS = """\
project: {name: shop}
components:
  api:
    rootDir: .
    tasks:
      where:
        script: 'echo "in $HOSTNAME"'
        executors: [kubernetes]
      echo:
        script: 'echo "got $1"'
        executors: [kubernetes]
      sleep:
        script: 'echo started; sleep 60'
        executors: [kubernetes]
"""


def private_kubeconfig(repo) -> str:
    copy = repo.root.parent / "kubeconfig"
    shutil.copy(repo.sim.kubeconfig, copy)
    return str(copy)


def test_the_context_namespace_is_kubectls_choice_and_is_shown(repo):
    [pod] = repo.sim.add_deployment("shop", "api")
    repo.sim.add_deployment("default", "api")  # a decoy where emb used to look
    repo.write(TASKS)
    kubeconfig = private_kubeconfig(repo)
    env = repo.env(KUBECONFIG=kubeconfig)
    subprocess.run(["kubectl", "config", "set-context", "--current", "--namespace=shop"], env=env, check=True,
                   capture_output=True)
    kubectl, log = repo.recorder()
    env["EMB_KUBECTL"] = kubectl
    out = repo.emb("run", "api:where", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"in {pod}\n"
    assert "namespace shop, context sim" in out.stderr
    calls = recorded_calls(log)
    assert calls and not any(a.startswith("--namespace") for call in calls for a in call)
    # the Deployment path, warm: one lookup and the exec
    before = len(calls)
    assert repo.emb("run", "api:where", env=env).returncode == 0
    assert len(recorded_calls(log)) - before == 2
    dry = repo.emb("run", "api:where", "--dry-run", env=env)
    assert "# namespace: shop" in dry.stdout and "# context: sim" in dry.stdout
    assert "# namespace from: kubeconfig context sim" in dry.stdout


def test_the_repository_env_cannot_choose_kubectl_or_kubeconfig(repo):
    repo.sim.add_deployment("default", "api")
    evil = repo.root / "evil-kubectl"
    evil.write_text("#!/bin/sh\necho pwned > \"$(dirname \"$0\")/pwned\"\n")
    evil.chmod(0o755)
    repo.write(TASKS + "env:\n  EMB_KUBECTL: ./evil-kubectl\n  KUBECONFIG: /nonexistent\n")
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    assert not (repo.root / "pwned").exists()


@pytest.mark.parametrize("config, args, where", [
    ("kubernetes: {deployment: '--kubeconfig=evil.yaml'}", [], "kubernetes.deployment"),
    ("", ["-n", "--kubeconfig=evil.yaml"], "-n/--namespace"),
    ("", ["--pod", "--help"], "--pod"),
    ("", ["-c", "--all-containers"], "-c/--container"),
])
def test_names_never_become_kubectl_flags(repo, config, args, where):
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS.replace("    rootDir: .\n", f"    rootDir: .\n    {config}\n" if config else "    rootDir: .\n"))
    kubectl, log = repo.recorder()
    out = repo.emb("run", "api:where", *args, EMB_KUBECTL=kubectl)
    assert out.returncode == 2, out.stderr
    assert where in out.stderr and "\nTraceback" not in out.stderr
    assert recorded_calls(log) == []


@pytest.mark.parametrize("where, extra", [("K8S_NAMESPACE", {"K8S_NAMESPACE": "--kubeconfig=evil.yaml"}),
                                          ("kubernetes.namespace", {})])
def test_a_namespace_from_the_environment_or_config_is_checked_too(repo, where, extra):
    config = TASKS if extra else "kubernetes: {namespace: '--kubeconfig=evil.yaml'}\n" + TASKS
    repo.write(config)
    kubectl, log = repo.recorder()
    out = repo.emb("run", "api:where", EMB_KUBECTL=kubectl, **extra)
    assert out.returncode == 2 and where in out.stderr, out.stderr
    assert recorded_calls(log) == []


def test_mid_rollout_the_new_revision_runs_the_task_and_a_warning_says_so(repo):
    [old] = repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    repo.sim.set_delays(pod_start=120)
    subprocess.run(["kubectl", "rollout", "restart", "deployment/api"], env=repo.env(), check=True,
                   capture_output=True)
    new = [p for p in repo.sim.pods("default") if p != old]
    assert len(new) == 1
    # the new pod is still starting: the old image runs it, and emb says so
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"in {old}\n"
    assert "rollout is in progress" in out.stderr and "previous image" in out.stderr


def test_a_while_read_loop_fed_three_lines_runs_three_times(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    emb = f"{sys.executable} -m emb"
    for flag, redirect in (("--no-stdin", ""), ("", "</dev/null")):
        script = (f'printf "a\\nb\\nc\\n" | while read x; do {emb} run -q api:where {flag} {redirect} || exit 9; '
                  'echo "line $x"; done')
        out = subprocess.run(["sh", "-c", script], cwd=repo.root, env=repo.env(), capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout == f"in {pod}\nline a\nin {pod}\nline b\nin {pod}\nline c\n", (flag, out.stderr)


def test_piped_stdin_still_reaches_the_task(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS.replace("script: 'echo \"in $HOSTNAME\"'", "script: 'cat'"))
    out = repo.emb("run", "api:where", input="line one\nline two\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "line one\nline two\n"


def test_ctrl_c_stops_the_remote_command(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    proc = subprocess.Popen([sys.executable, "-m", "emb", "run", "api:sleep"], cwd=repo.root, env=repo.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout.readline() == b"started\n"  # the remote command runs
    [task_exec] = repo.sim.execs
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert task_exec.pid not in repo.sim.running_exec_pids()
    stops = [e for e in repo.sim.execs if e is not task_exec]
    assert stops and "kill -s $s" in stops[-1].command[-1], err
    assert b"may still be running" not in err


def test_timeout_stops_the_task_with_124(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    started = time.monotonic()
    out = repo.emb("run", "api:sleep", "--timeout", "2s")
    assert out.returncode == 124, out.stderr
    assert time.monotonic() - started < 30
    assert "stopped after --timeout" in out.stderr
    assert repo.sim.running_exec_pids() == []
    assert repo.emb("run", "api:sleep", "--timeout", "5min").returncode == 2


def test_a_silent_api_server_is_cluster_unreachable_not_a_hang(repo):
    repo.write(TASKS)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # accepts connections (the kernel does), never answers
        port = listener.getsockname()[1]
        kubeconfig = repo.root.parent / "silent.kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: silent\n"
            f"clusters: [{{name: silent, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
            "users: [{name: u, user: {token: x}}]\n"
            "contexts: [{name: silent, context: {cluster: silent, user: u}}]\n")
        env = repo.env(KUBECONFIG=str(kubeconfig), EMB_KUBECTL_REQUEST_TIMEOUT="1s")
        for args in ([], ["--dry-run"]):
            started = time.monotonic()
            out = repo.emb("run", "api:where", *args, env=env)
            assert out.returncode == 125, out.stderr
            assert "cluster unreachable (context silent" in out.stderr
            assert time.monotonic() - started < 30


def test_restart_without_names_restarts_only_the_monorepos_deployments(repo):
    repo.sim.add_deployment("default", "api")
    repo.sim.add_deployment("default", "someone-elses")
    repo.write(TASKS)
    kubectl, log = repo.recorder()
    out = repo.emb("kubernetes", "restart", EMB_KUBECTL=kubectl)
    assert out.returncode == 0, out.stderr
    restarts = [c for c in recorded_calls(log) if "restart" in c]
    assert restarts and restarts[-1][-1] == "deployment/api" and "deployment/someone-elses" not in restarts[-1]
    assert repo.emb("kubernetes", "restart", "--wait", "--timeout=5min", EMB_KUBECTL=kubectl).returncode == 2
    assert len([c for c in recorded_calls(log) if "restart" in c]) == 1  # nothing changed


def test_shell_falls_back_to_the_newest_running_pod(repo):
    repo.sim.add_deployment("default", "api", ready=False)
    repo.write(TASKS)
    out = repo.emb("kubernetes", "shell", "api", input="echo shell-ok; exit 3\n")
    assert out.returncode == 3, out.stderr
    assert "shell-ok" in out.stdout
    assert "using the newest Running pod" in out.stderr


# --- kubelet-side failures, each one line, exit 125 (kubesim annotations) ---------------


def two_containers(**annotations):
    return dict(containers=[{"name": "api"}, {"name": "worker"}],
                annotations={"kubectl.kubernetes.io/default-container": "api", **annotations})


def test_a_shell_less_image_says_so_and_suggests_kubectl_debug(repo):
    [pod] = repo.sim.add_deployment("default", "api", annotations={"kubesim.emb.dev/no-shell": "true"})
    repo.write(TASKS)
    out = repo.emb("run", "api:where")
    assert out.returncode == 125, out.stderr
    [line, *hints] = [ln for ln in out.stderr.splitlines() if ln.startswith(("emb: error", "  hint"))]
    assert line.startswith(f"emb: error: pod {pod} has no sh in its image")
    assert any("kubectl debug" in h for h in hints)
    assert "may still be running" not in out.stderr and "lost" not in line


def test_a_crash_looping_container_is_not_running_with_its_last_state(repo):
    [pod] = repo.sim.add_deployment("default", "api", **two_containers(**{"kubesim.emb.dev/crash-loop": "worker"}))
    repo.write(TASKS)
    # with a lookup: the pod's status says why, before any exec
    out = repo.emb("run", "api:where", "--pod", pod[:-3], "-c", "worker")
    assert out.returncode == 125, out.stderr
    assert f"emb: error: container 'worker' of pod {pod} is not running: CrashLoopBackOff" in out.stderr \
        or "is not running" in out.stderr, out.stderr
    # --pod and -c: no lookup; the kubelet's "container not found" is read as "not running"
    out = repo.emb("run", "api:where", "--pod", pod, "-c", "worker")
    assert out.returncode == 125, out.stderr
    assert f"emb: error: container 'worker' of pod {pod} is not running" in out.stderr
    assert "kubernetes.container" not in out.stderr  # not a configuration mistake


def test_an_unreachable_kubelet_is_not_a_vpn_problem(repo):
    [pod] = repo.sim.add_deployment("default", "api", annotations={"kubesim.emb.dev/kubelet": "unreachable"})
    repo.write(TASKS)
    out = repo.emb("run", "api:where", timeout=120)
    assert out.returncode == 125, out.stderr
    assert f"emb: error: the API server cannot reach the kubelet of pod {pod}'s node" in out.stderr
    assert "VPN" not in out.stderr


def test_a_windows_pod_is_refused_before_the_exec(repo):
    [pod] = repo.sim.add_deployment("default", "api", annotations={"kubesim.emb.dev/os": "windows"})
    repo.write(TASKS)
    out = repo.emb("run", "api:where")
    assert out.returncode == 125, out.stderr
    assert f"emb: error: pod {pod} runs on a Windows node" in out.stderr
    assert repo.sim.execs == []


def test_init_and_sidecar_containers_can_be_named_and_ps_shows_init_states(repo):
    repo.sim.add_pod("default", "api-init", labels={"app": "api"}, containers=[{"name": "api"}],
                     annotations={"kubesim.emb.dev/crash-loop": "migrate"},
                     spec={"initContainers": [{"name": "migrate", "image": "busybox"}]})
    pod = repo.sim.add_pod("default", "api-side", labels={"app": "api"}, containers=[{"name": "api"}],
                           spec={"initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]})
    repo.write(TASKS)
    out = repo.emb("run", "api:where", "-c", "proxy", "--pod", pod)
    assert out.returncode == 0, out.stderr
    assert [e.container for e in repo.sim.execs] == ["proxy"]
    ps = repo.emb("kubernetes", "ps")
    assert ps.returncode == 0, ps.stderr
    row = next(line for line in ps.stdout.splitlines() if line.startswith("api-init"))
    assert "Init:CrashLoopBackOff" in row, ps.stdout
    kubectl_row = next(line for line in subprocess.run(["kubectl", "get", "pods"], env=repo.env(), text=True,
                       capture_output=True).stdout.splitlines() if line.startswith("api-init"))
    assert kubectl_row.split()[2] == "Init:CrashLoopBackOff"


# --- credential plugins -----------------------------------------------------------------


def test_a_failing_credential_plugin_is_reported_with_its_own_words(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    out = repo.emb("run", "api:where", "--context", "sim-exec",
                   KUBESIM_CREDENTIAL_FAIL="Token has expired and refresh failed")
    assert out.returncode == 125, out.stderr
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("emb: error"))
    assert line.startswith("emb: error: credential plugin ")
    assert "Token has expired and refresh failed" in line
    assert "VPN" not in out.stderr and "network" not in line


def test_a_credential_prompt_reaches_the_terminal_and_the_answer_the_plugin(repo):
    import pexpect

    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(TASKS.replace("    rootDir: .\n", "    rootDir: .\n    kubernetes: {selector: app=api}\n"))
    env = repo.env(KUBESIM_CREDENTIAL_PROMPT="Open https://device.example/login and enter code ABCD-1234, then Enter")
    child = pexpect.spawn(sys.executable, ["-m", "emb", "run", "api:where", "--context", "sim-exec"],
                          cwd=str(repo.root), env=env, timeout=60)
    prompts = 0
    # the stand-in plugin prompts in every kubectl process (a real one caches its token on disk)
    while child.expect(["enter code ABCD-1234", f"in {pod}"]) == 0:
        prompts += 1
        child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert prompts == 2  # the lookup and the exec: both could ask


# --- task vars never on a command line ----------------------------------------------------

SECRET = "postgres://app:s3cr3t-Pa55'\"$x\\n@db/prod"
SECRET_TASKS = """\
project: {name: shop}
components:
  api:
    rootDir: .
    tasks:
      migrate:
        vars: {DATABASE_URL: "SECRET", MODE: "multi\\nline"}
        script: 'printf "%s|%s\\\\n" "$DATABASE_URL" "$MODE"; echo started >&2; sleep 3'
        executors: [kubernetes]
      echo:
        vars: {DATABASE_URL: "SECRET"}
        script: 'printf "%s\\\\n" "${#DATABASE_URL}"; cat'
        executors: [kubernetes]
"""


def secret_config() -> str:
    import json as _json
    return SECRET_TASKS.replace('"SECRET"', _json.dumps(SECRET))


def cmdlines_with(needle: bytes) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if needle in f.read():
                        found.append(entry)
            except OSError:
                continue
    return found


def test_secret_vars_reach_the_script_but_no_command_line(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(secret_config())
    proc = subprocess.Popen([sys.executable, "-m", "emb", "run", "api:migrate"], cwd=repo.root, env=repo.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    first = proc.stdout.readline()
    # the remote command runs now (it sleeps): every process emb started is alive
    assert cmdlines_with(b"s3cr3t") == []
    out = proc.stdout.read()  # (communicate would skip what readline buffered)
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert (first + out).decode() == SECRET + "|multi\nline\n"
    # --dry-run: the exact command line, which has no values; --json neither
    dry = repo.emb("run", "api:migrate", "--dry-run")
    assert "s3cr3t" not in dry.stdout and "# vars on stdin: DATABASE_URL, MODE" in dry.stdout
    as_json = repo.emb("run", "api:migrate", "--json")
    assert as_json.returncode == 0 and "s3cr3t" not in as_json.stderr


def test_secret_vars_and_the_users_stdin_and_a_while_read_loop(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(secret_config())
    out = repo.emb("run", "-q", "api:echo", input="piped input\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{len(SECRET)}\npiped input\n"
    emb = f"{sys.executable} -m emb"
    script = f'printf "a\\nb\\nc\\n" | while read x; do {emb} run -q api:echo --no-stdin || exit 9; echo "line $x"; done'
    loop = subprocess.run(["sh", "-c", script], cwd=repo.root, env=repo.env(), capture_output=True, text=True,
                          timeout=120)
    assert loop.returncode == 0, loop.stderr
    assert loop.stdout == "".join(f"{len(SECRET)}\nline {x}\n" for x in "abc")


# --- --all-pods, --wait, -c, --pod PREFIX ---------------------------------------------------


def test_all_pods_runs_in_every_ready_pod_and_exits_with_the_first_failure(repo):
    pods = repo.sim.add_deployment("default", "api", replicas=3)
    repo.sim.set_ready("default", pods[2], False)
    repo.write(TASKS + "      fail-one:\n        script: 'echo \"in $HOSTNAME\"; [ \"$HOSTNAME\" != " + pods[1]
               + " ] || exit 7'\n        executors: [kubernetes]\n")
    out = repo.emb("run", "api:where", "--all-pods")
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.splitlines()) == sorted(f"in {p}" for p in pods[:2])
    assert "api:where: 2 of 2 pods succeeded" in out.stderr
    out = repo.emb("run", "api:fail-one", "--all-pods")
    assert out.returncode == 7, out.stderr
    assert sorted(out.stdout.splitlines()) == sorted(f"in {p}" for p in pods[:2])  # went on after the failure
    assert f"1 of 2 pods succeeded (failed: {pods[1]} exit 7)" in out.stderr
    dry = repo.emb("run", "api:where", "--all-pods", "--dry-run")
    assert dry.stdout.count("# [") == 2
    assert repo.emb("run", "api:where", "--all-pods", "-x", "local").returncode == 2


def test_wait_waits_for_a_ready_pod(repo):
    repo.sim.set_delays(pod_start=2)
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    out = repo.emb("run", "api:where", "--wait=60s")
    assert out.returncode == 0, out.stderr
    assert "waiting up to 60 s for a Ready pod" in out.stderr
    assert repo.emb("run", "api:where", "--wait=soon").returncode == 2


def test_pod_takes_a_unique_prefix_with_one_exec_only(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    kubectl, log = repo.recorder()
    out = repo.emb("run", "api:where", "--pod", pod, "-c", "api", EMB_KUBECTL=kubectl)
    assert out.returncode == 0, out.stderr
    assert [c[0] for c in recorded_calls(log)] == ["exec"]  # --pod and a known container: 1 process
    out = repo.emb("run", "api:where", "--pod", pod[:-2], EMB_KUBECTL=kubectl)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"in {pod}\n"


@pytest.mark.parametrize("kind", ["statefulset", "daemonset"])
def test_statefulsets_and_daemonsets_as_workloads(repo, kind):
    add = repo.sim.add_statefulset if kind == "statefulset" else repo.sim.add_daemonset
    made = add("default", "db", labels={"app": "db"}, containers=[{"name": "db"}])
    repo.sim.add_pod("default", "db-stray", labels={"app": "other"}, containers=[{"name": "db"}], age=9999)
    repo.write(TASKS.replace("    rootDir: .\n", f"    rootDir: .\n    kubernetes: {{{kind}: db}}\n"))
    kubectl, log = repo.recorder()
    out = repo.emb("run", "api:where", EMB_KUBECTL=kubectl)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"in {made[0]}\n"
    calls = recorded_calls(log)
    assert calls[0][1:3] == ["get", kind] and calls[1][1:3] == ["get", "pods,controllerrevisions"]
    dry = repo.emb("run", "api:where", "--dry-run")
    assert f"# workload: {kind}/db" in dry.stdout
    repo.sim.add_namespace("elsewhere")
    missing = repo.emb("run", "api:where", "-n", "elsewhere")
    assert missing.returncode == 125 and f"{kind} 'db' not found in namespace elsewhere" in missing.stderr


# --- overlapping the lookup with the exec (the warm path on a slow cluster) ---------------


def test_a_warm_run_overlaps_the_lookup_and_a_changed_choice_runs_the_task_once(repo):
    first, second = repo.sim.add_deployment("default", "api", replicas=2)
    repo.write(TASKS)
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    chosen = out.stdout.split()[-1]
    other = second if chosen == first else first
    # warm: the exec into the remembered pod starts with the lookup, and runs once
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"in {chosen}\n"
    assert [e.pod for e in repo.sim.execs] == [chosen, chosen]
    # the remembered pod is no longer the choice: the early exec is withdrawn (runs nothing)
    repo.sim.set_ready("default", chosen, False)
    out = repo.emb("run", "api:where")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"in {other}\n"
    withdrawn, ran = repo.sim.execs[-2:]
    assert (withdrawn.pod, withdrawn.exit_code) == (chosen, 222)
    assert ran.pod == other
    # a lookup error during the early exec is the error emb reports
    repo.sim.set_ready("default", other, False)
    out = repo.emb("run", "api:where")
    assert out.returncode == 125, out.stderr
    assert "no Ready pod for component api" in out.stderr and out.stdout == ""


def test_after_exit_137_one_look_at_the_pod_says_why(repo):
    [pod] = repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    repo.sim.on_next_exec(lambda e: repo.sim.delete_pod("default", pod), when="started")
    out = repo.emb("run", "api:sleep", timeout=90)
    assert out.returncode == 137, out.stderr
    assert f"emb: task killed in pod {pod} (exit 137, SIGKILL): " in out.stderr
    assert "deleted" in out.stderr.split("task killed", 1)[1].splitlines()[0]


def test_task_args_after_double_dash_reach_the_remote_script(repo):
    repo.sim.add_deployment("default", "api")
    repo.write(TASKS)
    out = repo.emb("run", "-q", "api:echo", "--", "one two", "--kubeconfig=evil.yaml")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "got one two\n"
    [event] = repo.sim.execs
    assert event.command[-2:] == ["one two", "--kubeconfig=evil.yaml"]  # operands, after kubectl's --
