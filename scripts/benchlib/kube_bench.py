"""Where the time of a kubernetes run goes: `emb run -x kubernetes` vs `kubectl exec`.

The goal (issue #6) is `emb run` of a trivial task on the kubernetes executor
within 1.6x of the bare `kubectl exec` of the same command on the same pod
(medians, same run, against tests/kubesim). emb runs two kubectl processes
(one `get pods -l SELECTOR -o json`, then the exec) where the baseline runs
one, so besides the goal row this prints what explains the ratio:

- the lookup alone (`kubectl get pods -l SEL -o json`);
- emb without the exec (`emb run --dry-run`: start-up, config, the lookup);
- emb's Python floor (`emb --version`);
- the Deployment path (no selector configured: one `get deployment` more);
- when `kubectl` is the Google Cloud SDK dispatcher, the versioned binary it
  dispatches to, run directly (what `EMB_KUBECTL` can point at).

    python scripts/benchlib/kube_bench.py [--runs N]

Other bench code can call `measure(runs, work) -> list[Row]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clean_env, emb_argv, write  # noqa: E402,F401
from timing import BenchError, Row, compare, fmt_value, ratio_at_most, skipped

TOP = Path(__file__).resolve().parents[2]
NAMESPACE = "bench"
SELECTOR = "app=api"
GOAL = "ratio ≤ 1.6"






def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MANIFEST = f"""\
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: {NAMESPACE}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers: [{{name: api, image: bench}}]
"""

EMB_YML = f"""\
project: {{name: kube-bench}}
kubernetes: {{namespace: {NAMESPACE}}}
components:
  api:
    rootDir: .
    kubernetes: {{selector: {SELECTOR}}}
    tasks:
      noop: {{script: 'true', executors: [kubernetes]}}
  viadeploy:
    rootDir: .
    kubernetes: {{deployment: api}}
    tasks:
      noop: {{script: 'true', executors: [kubernetes]}}
"""


def start_kubesim(work: Path, latency_ms: float = 0) -> tuple[subprocess.Popen, Path]:
    """tests/kubesim on a free port with one 2-replica Deployment; (process, kubeconfig).
    `latency_ms`: every API request waits that long (a remote cluster)."""
    work.mkdir(parents=True, exist_ok=True)
    manifest = work / "manifest.yaml"
    manifest.write_text(MANIFEST)
    kubeconfig = work / "kubeconfig"
    log = open(work / "kubesim.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kubesim",
            "--manifests",
            str(manifest),
            "--workdir",
            str(work / "state"),
            "--port",
            str(_free_port()),
            "--kubeconfig",
            str(kubeconfig),
            *(["--latency", str(latency_ms)] if latency_ms else []),
        ],
        cwd=TOP,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    env = clean_env(KUBECONFIG=str(kubeconfig))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if (
            kubeconfig.exists()
            and subprocess.run(
                ["kubectl", "get", "pods", "-n", NAMESPACE], env=env, capture_output=True
            ).returncode
            == 0
        ):
            return proc, kubeconfig
        time.sleep(0.2)
    stop(proc)
    raise BenchError("the simulator did not start: " + (work / "kubesim.log").read_text()[-500:])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def versioned_kubectl(env: dict[str, str]) -> str | None:
    """The binary the gcloud dispatcher runs for this cluster, when kubectl is that dispatcher."""
    version = subprocess.run(
        ["kubectl", "version", "--client"], capture_output=True, text=True, env=env
    ).stdout
    if "dispatcher" not in version:
        return None
    server = subprocess.run(
        ["kubectl", "version", "-o", "json"], capture_output=True, text=True, env=env
    ).stdout
    import json

    try:
        info = json.loads(server)["serverVersion"]
        minor = "".join(ch for ch in info["minor"] if ch.isdigit())
        candidate = (
            Path(os.path.realpath(shutil.which("kubectl"))).parent
            / f"kubectl.{info['major']}.{minor}"
        )
    except (ValueError, KeyError, TypeError):
        return None
    return str(candidate) if candidate.is_file() else None


def measure(runs: int, work: Path) -> list[Row]:
    what = "kubernetes exec: `emb run` (selector) vs `kubectl exec` (simulated API server)"
    if not shutil.which("kubectl"):
        return [skipped(what, "kubectl is not installed", GOAL)]
    proc, kubeconfig = start_kubesim(work)
    try:
        root = work / "monorepo"
        root.mkdir()
        (root / ".emb.yml").write_text(EMB_YML)
        env = clean_env(KUBECONFIG=str(kubeconfig))
        # The pod emb picks (first Ready, oldest first), so both sides exec into the same pod.
        plan = subprocess.run(
            emb_argv("run", "--dry-run", "--json", "api:noop"),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        import json

        pod = json.loads(plan)["tasks"][0]["details"]["pod"]
        bare = [
            "kubectl",
            "--namespace",
            NAMESPACE,
            "exec",
            "-i",
            pod,
            "-c",
            "api",
            "--",
            "sh",
            "-c",
            "true",
        ]
        get = ["kubectl", "--namespace", NAMESPACE, "get", "pods", "-l", SELECTOR, "-o", "json"]
        bare_what = "`kubectl exec -i POD -c api -- sh -c true`"
        rows = [
            compare(
                what,
                emb_argv("run", "api:noop"),
                bare,
                runs=runs,
                env=env,
                cwd=root,
                baseline_what=bare_what,
                goal=GOAL,
                judge=ratio_at_most(1.6),
            )
        ]
        detail = [
            compare(
                "… through a Deployment (`get deployment` + `get pods` + exec)",
                emb_argv("run", "viadeploy:noop"),
                bare,
                runs=runs,
                env=env,
                cwd=root,
                baseline_what=bare_what,
            ),
            compare(
                "… emb without the exec: `emb run --dry-run api:noop`",
                emb_argv("run", "--dry-run", "api:noop"),
                get,
                runs=runs,
                env=env,
                cwd=root,
                baseline_what="the lookup alone: `kubectl get pods -l … -o json`",
            ),
            compare(
                "… emb's Python floor: `emb --version`",
                emb_argv("--version"),
                None,
                runs=runs,
                env=env,
                cwd=root,
            ),
        ]
        real = versioned_kubectl(env)
        if real:
            detail.append(
                compare(
                    f"… `kubectl exec` via the versioned binary ({Path(real).name}) vs the gcloud dispatcher",
                    [real, *bare[1:]],
                    bare,
                    runs=runs,
                    env=env,
                    cwd=root,
                    baseline_what="dispatcher",
                )
            )
            detail.append(
                compare(
                    f"… `emb run` with EMB_KUBECTL={Path(real).name} vs bare dispatcher `kubectl exec`",
                    emb_argv("run", "api:noop"),
                    bare,
                    runs=runs,
                    env={**env, "EMB_KUBECTL": real},
                    cwd=root,
                    baseline_env=env,
                    baseline_what=bare_what,
                )
            )
        for row in detail:
            row.detail = True
        return rows + detail + real_cluster(runs, work / "real")
    finally:
        stop(proc)


REAL_GOAL = "ratio ≤ 1.5"
PLUGIN_DELAY = "0.3"  # seconds the credential plugin takes (aws eks get-token: 0.3-1 s)


def kubectl_counts(root: Path, env: dict[str, str], pod: str) -> str:
    """How many kubectl processes each path starts (EMB_KUBECTL = a counting wrapper)."""
    calls = root.parent / "kubectl-calls"
    calls.mkdir(exist_ok=True)
    wrapper = root.parent / "count-kubectl"
    wrapper.write_text(f"#!/bin/sh\necho >> {calls}/n\nexec kubectl \"$@\"\n")
    wrapper.chmod(0o755)
    counted = {**env, "EMB_KUBECTL": str(wrapper)}
    out = []
    state = root / ".emb"
    shutil.rmtree(state, ignore_errors=True)
    for label, args in (("selector", ["api:noop"]), ("Deployment, cold", ["viadeploy:noop"]),
                        ("Deployment, warm", ["viadeploy:noop"]),
                        ("--pod + container", ["api:noop", "--pod", pod, "-c", "api"])):
        (calls / "n").write_text("")
        subprocess.run(emb_argv("run", *args), cwd=root, env=counted, capture_output=True, check=True)
        out.append(f"{label} {len((calls / 'n').read_text().splitlines())}")
    return "kubectl processes per run: " + ", ".join(out)


def real_cluster(runs: int, work: Path) -> list[Row]:
    """The "real cluster" model: 40 ms per API request and a 300 ms credential plugin
    (context sim-exec), emb's Deployment path (warm) vs a bare `kubectl exec`."""
    what = (f"real cluster (kubesim --latency 40, a {float(PLUGIN_DELAY) * 1000:.0f} ms credential plugin):"
            " `emb run` (Deployment, warm) vs `kubectl exec`")
    proc, kubeconfig = start_kubesim(work, latency_ms=40)
    try:
        root = work / "monorepo"
        root.mkdir()
        (root / ".emb.yml").write_text(EMB_YML.replace("kubernetes: {namespace", "kubernetes: {context: sim-exec, namespace"))
        env = clean_env(KUBECONFIG=str(kubeconfig), KUBESIM_CREDENTIAL_DELAY=PLUGIN_DELAY)
        import json

        plan = subprocess.run(emb_argv("run", "--dry-run", "--json", "viadeploy:noop"), cwd=root, env=env,
                              capture_output=True, text=True, check=True).stdout  # warms the selector cache
        pod = json.loads(plan)["tasks"][0]["details"]["pod"]
        bare = ["kubectl", "--context", "sim-exec", "--namespace", NAMESPACE, "exec", pod, "-c", "api",
                "--", "sh", "-c", "true"]
        row = compare(what, emb_argv("run", "viadeploy:noop"), bare, runs=runs, env=env, cwd=root,
                      baseline_what="`kubectl exec POD -c api -- sh -c true`", goal=REAL_GOAL,
                      judge=ratio_at_most(1.5))
        pod_row = compare("… real cluster: `emb run --pod POD -c api` (one kubectl process) vs `kubectl exec`",
                          emb_argv("run", "api:noop", "--pod", pod, "-c", "api"), bare, runs=runs, env=env,
                          cwd=root, baseline_what="`kubectl exec POD -c api -- sh -c true`")
        pod_row.detail = True
        counts = kubectl_counts(root, env, pod)
        print(counts, file=sys.stderr)
        row.note = counts if not getattr(row, "note", "") else f"{row.note}; {counts}"
        return [row, pod_row]
    finally:
        stop(proc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="emb-kube-bench-") as tmp:
        rows = measure(args.runs, Path(tmp))
    for row in rows:
        if row.skipped:
            print(f"{row.what}: {row.note}")
            continue
        base = (
            f" vs {fmt_value(row.baseline, row.unit)} (ratio {row.ratio:.2f}; {row.baseline_what})"
            if row.baseline
            else ""
        )
        verdict = "" if row.ok is None else ("  OK" if row.ok else "  GOAL MISSED")
        print(f"{row.what}: {fmt_value(row.median, row.unit)}{base}{verdict}")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
