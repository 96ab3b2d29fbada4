"""Where the time of `emb run` on the local executor goes (issue #3's two goals).

Goals:
- a trivial local task: median wall time under 150 ms (baseline `sh -c true`);
- 200 MiB of task output through emb into a pipe at >= 70% of the throughput
  of the same script run directly into the same pipe, the log holding it all.

Besides the goal rows this prints what explains them:
- the Python floor (`python -c pass`) and emb's (`emb --version`: click + CLI);
- `emb run --dry-run noop`: start-up + config + plan, without starting a process;
- emb's own CPU time while streaming 200 MiB (user/system, measured inside
  emb's process), which is what the streaming path costs on top of the task.

    python scripts/benchlib/run_bench.py [--runs N]

Other bench code can call `measure(runs, work) -> list[Row]`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import Row, compare, fmt_value, interleaved, time_once, under  # noqa: E402

STREAM_BYTES = 200 * 1024 * 1024
LINE = "emb bench: the quick brown fox jumps over the lazy dog 0123456"  # 63 chars + newline
STREAM_SCRIPT = f"yes '{LINE}' | head -c {STREAM_BYTES}"

# Runs emb's CLI inside this interpreter and reports emb's own CPU seconds on
# stderr, so the task's processes (yes, head) are not counted.
CPU_PROBE = """
import resource, sys
from emb.cli.main import run
code = run(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_SELF)
sys.stderr.write(f"\\nEMB-CPU {r.ru_utime} {r.ru_stime}\\n")
sys.exit(code)
"""


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("EMB_", "K8S_"))}
    out.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what users get: cached bytecode
    out["NO_COLOR"] = "1"
    return out


def emb(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("emb")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "emb", *args]


def write_monorepo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".emb.yml").write_text(
        "project: {name: bench}\n"
        "tasks:\n"
        "  noop: {script: 'true'}\n"
        f"  stream: {{script: \"{STREAM_SCRIPT}\"}}\n"
    )
    return root


def latest_log_size(root: Path, task: str) -> int:
    link = root / ".emb" / "default" / "logs" / "tasks" / f"{task}.log"
    return link.stat().st_size if link.exists() else 0


def trivial_rows(runs: int, root: Path) -> list[Row]:
    e = env()
    goal = compare(
        "trivial local task: `emb run noop`", emb("-C", str(root), "run", "noop"), ["sh", "-c", "true"],
        runs=runs, env=e, baseline_what="`sh -c true`", goal="< 150 ms", judge=under(0.150),
    )
    floor = compare("  python start-up (`python -c pass`)", [sys.executable, "-c", "pass"], None, runs=runs, env=e)
    version = compare("  `emb --version` (click + CLI)", emb("--version"), None, runs=runs, env=e)
    dry = compare("  `emb run --dry-run noop` (+ config, plan)", emb("-C", str(root), "run", "--dry-run", "noop"),
                  None, runs=runs, env=e)
    return [goal, floor, version, dry]


def streaming_rows(runs: int, root: Path) -> list[Row]:
    e = env()
    through = " ".join(shlex.quote(a) for a in emb("-C", str(root), "run", "stream"))
    sizes: list[int] = []

    def via_emb() -> float:
        took = time_once(["bash", "-o", "pipefail", "-c", f"{through} | cat > /dev/null"], env=e)
        sizes.append(latest_log_size(root, "stream"))
        return took

    def direct() -> float:
        return time_once(["bash", "-o", "pipefail", "-c", f"sh -c {shlex.quote(STREAM_SCRIPT)} | cat > /dev/null"], env=e)

    ours, theirs = interleaved(via_emb, direct, runs=runs, warmup=1)
    row = Row(
        what="200 MiB of task output into a pipe (+ the log)", unit="MB/s",
        median=STREAM_BYTES / statistics.median(ours), baseline=STREAM_BYTES / statistics.median(theirs),
        baseline_what="the same `sh -c` into the same pipe", goal=">= 70% of direct",
        samples=ours, baseline_samples=theirs,
    )
    whole = all(size == STREAM_BYTES for size in sizes)
    row.ok = whole and row.ratio is not None and row.ratio >= 0.70
    row.note = "log held all bytes every run" if whole else f"log sizes {sizes}: output LOST"

    cpu = []
    for _ in range(max(3, runs // 2)):
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c",
             " ".join(shlex.quote(a) for a in [sys.executable, "-c", CPU_PROBE, "-C", str(root), "run", "-q", "stream"])
             + " | cat > /dev/null"],
            env=e, capture_output=True, text=True, check=True,
        )
        user, system = done.stderr.rsplit("EMB-CPU ", 1)[1].split()
        cpu.append((float(user), float(system)))
    user = statistics.median(u for u, _ in cpu)
    system = statistics.median(s for _, s in cpu)
    cpu_row = Row(what="  emb's own CPU while streaming (start-up included)", median=user + system, unit="s",
                  note=f"user {user:.2f} s, system {system:.2f} s")
    return [row, cpu_row]


def measure(runs: int, work: Path) -> list[Row]:
    root = write_monorepo(work / "run-bench")
    return trivial_rows(runs, root) + streaming_rows(runs, root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emb-run-bench-") as work:
        rows = measure(args.runs, Path(work))
    for row in rows:
        base = f" vs {fmt_value(row.baseline, row.unit)} ({row.baseline_what})" if row.baseline else ""
        ratio = f", ratio {row.ratio:.2f}" if row.ratio else ""
        verdict = "" if row.ok is None else ("  ok" if row.ok else "  MISSED")
        note = f"  [{row.note}]" if row.note else ""
        print(f"{row.what}: {fmt_value(row.median, row.unit)}{base}{ratio}{verdict}{note}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
