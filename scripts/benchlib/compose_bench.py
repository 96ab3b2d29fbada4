"""Where the time of a container run goes: `emb run` vs `docker compose exec -T`.

The goal (issue #4) is `emb run` of a trivial task on the container executor
within 1.3x of `docker compose exec -T` of the same command (medians, same
run). Besides that row, this prints what explains it:

- the plugin run directly (what emb runs) vs through the docker CLI, which
  first asks every CLI plugin for its metadata;
- `emb run --dry-run`: emb's own cost (start, config, executor choice from the
  on-disk service cache), without the exec;
- a run with a cold service cache (one `docker compose config --services` more).

    python scripts/benchlib/compose_bench.py [--runs N]

Needs a Docker daemon, Compose v2 and a static busybox (scripts/bench sets
them up). Brings up its own project and always brings it down.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clean_env, emb_argv, write  # noqa: E402,F401
from timing import Row, compare, fmt_value, ratio_at_most, time_once  # noqa: E402

TOP = Path(__file__).resolve().parents[2]
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")






def _plugin_argv() -> list[str]:
    sys.path.insert(0, str(TOP))
    from emb.docker.compose import compose_argv

    return list(compose_argv())


def setup_project(work: Path) -> tuple[Path, dict[str, str], str]:
    """A one-service project (svc, from a FROM-scratch busybox image); returns root, env, image."""
    busybox = next((p for p in BUSYBOX_CANDIDATES if Path(p).is_file()), None)
    if busybox is None:
        raise SystemExit("compose_bench: no static busybox (apt install busybox-static)")
    image = f"emb-bench-compose:{os.getpid()}"
    ctx = work / "image"
    ctx.mkdir()
    shutil.copy(busybox, ctx / "busybox")
    (ctx / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    )
    subprocess.run(["docker", "build", "-q", "-t", image, str(ctx)], check=True, capture_output=True,
                   env={**os.environ, "DOCKER_BUILDKIT": "0"})
    root = work / "project"
    (root / "svc").mkdir(parents=True)
    (root / ".emb.yml").write_text(
        "project: {name: bench}\ncomponents:\n  svc:\n    tasks:\n      noop: {script: 'true'}\n"
    )
    (root / "compose.yaml").write_text(
        f"services:\n  svc:\n    image: {image}\n    pull_policy: never\n"
        "    command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]\n"
    )
    env = clean_env(COMPOSE_PROJECT_NAME=f"emb-bench-compose-{os.getpid()}")
    subprocess.run(["docker", "compose", "up", "-d"], cwd=root, env=env, check=True, capture_output=True)
    return root, env, image


def teardown_project(root: Path, env: dict[str, str], image: str) -> None:
    subprocess.run(["docker", "compose", "down", "-t", "0"], cwd=root, env=env, capture_output=True)
    subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def measure(runs: int, root: Path, env: dict[str, str]) -> list[Row]:
    exec_args = ["exec", "-T", "svc", "sh", "-c", "true"]
    docker_compose_exec = ["docker", "compose", *exec_args]
    rows = [compare(
        "container exec: `emb run svc:noop` vs `docker compose exec -T`",
        emb_argv("run", "svc:noop"), docker_compose_exec, runs=runs, env=env, cwd=root,
        goal="ratio ≤ 1.3", judge=ratio_at_most(1.3),
    )]
    plugin = _plugin_argv()
    if plugin[:2] != ["docker", "compose"]:
        rows.append(compare("compose plugin run directly vs through `docker`", [*plugin, *exec_args],
                            docker_compose_exec, runs=runs, env=env, cwd=root))
    rows.append(compare("emb's own part: `emb run --dry-run svc:noop`", emb_argv("run", "--dry-run", "svc:noop"),
                        None, runs=runs, env=env, cwd=root))
    cache = root / ".emb" / "default" / "cache" / "compose-services.json"

    def cold() -> float:
        cache.unlink(missing_ok=True)
        return time_once(emb_argv("run", "svc:noop"), env=env, cwd=root)

    samples = sorted(cold() for _ in range(max(3, runs // 2)))
    rows.append(Row(what="`emb run svc:noop` with a cold service cache", median=samples[len(samples) // 2],
                    samples=samples))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="emb-compose-bench-") as tmp:
        root, env, image = setup_project(Path(tmp))
        try:
            rows = measure(args.runs, root, env)
        finally:
            teardown_project(root, env, image)
    for row in rows:
        base = f" vs {fmt_value(row.baseline, row.unit)} (ratio {row.ratio:.2f})" if row.baseline else ""
        verdict = "" if row.ok is None else ("  OK" if row.ok else "  GOAL MISSED")
        print(f"{row.what}: {fmt_value(row.median, row.unit)}{base}{verdict}")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
