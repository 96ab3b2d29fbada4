"""What `emb resources build` costs: the up-to-date check, parallel builds, growth with context size.

Rows (each baseline measured in the same run):
- everything up to date, on the example monorepo (4 images) and on a generated
  50-component monorepo with 2,000 context files: against one `docker image
  inspect` of all the references (the least any freshness check must ask docker);
  goals 0.25 s and 0.4 s (EMB 0.30, measured on the same kinds of trees: 1.2-1.3 s
  and 1.5-1.6 s);
- a cold build of 4 independent CPU-bound images, `-j 2` against `-j 1`: ratio ≤ 0.65
  (a fresh build arg each run busts docker's cache of the working step);
- the warm check of one context of 500, 2,000 and 8,000 files: the cost per file
  must stay the same (linear growth), and no file is read.

    python scripts/benchlib/resources_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clean_env, emb_argv, write  # noqa: E402
from timing import BenchError, Row, compare, fmt_value, interleaved, ratio_at_most, time_once, under  # noqa: E402

TOP = Path(__file__).resolve().parents[2]
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
BASE_DOCKERFILE = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'


def busybox() -> str:
    found = next((p for p in BUSYBOX_CANDIDATES if Path(p).is_file()), None)
    if found is None:
        raise BenchError("no static busybox (apt install busybox-static)")
    return found


def _run(argv, env, cwd=None) -> None:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=900)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(map(str, argv[:6]))}: {done.stderr.decode(errors='replace')[-300:]}")


def generated(root: Path, components: int, files: int, project: str, cpu_loop: int = 0) -> Path:
    """A base image and `components` images built on it (or, with cpu_loop, on scratch busybox
    each, independent), `files` context files spread over them."""
    per = max(1, files // max(1, components))
    comps = [f"  base:\n    rootDir: base\n    resources:\n      image: {{type: docker/image}}\n"]
    tree = {"base/Dockerfile": BASE_DOCKERFILE}
    for i in range(components):
        name = f"c{i:03d}"
        deps = "" if cpu_loop else ", dependencies: [base:image]"
        comps.append(f"  {name}:\n    rootDir: {name}\n    resources:\n      image: {{type: docker/image{deps}}}\n")
        if cpu_loop:
            # A step that waits, as a download does, and computes a little.
            tree[f"{name}/Dockerfile"] = (BASE_DOCKERFILE + "ARG NONCE\n"
                                          f"RUN sleep 2; i=0; while [ $i -lt {cpu_loop} ]; do i=$((i+1)); done; "
                                          f"echo $NONCE {name}\n")  # {name}: no image reuses another's layer
            os.makedirs(root / name, exist_ok=True)
        else:
            tree[f"{name}/Dockerfile"] = f"FROM {project}/base:latest\nCOPY . /srv/\n"
        for j in range(per):
            tree[f"{name}/src/m{j // 20:02d}/f{j:04d}.txt"] = f"component {name} file {j}\n" * 4
    tree[".emb.yml"] = (f"project: {{name: {project}}}\n"
                        "defaults:\n  docker:\n    buildArgs: {NONCE: '${env:BENCH_NONCE:-0}'}\n"
                        "components:\n" + "".join(comps))
    write(root, tree)
    shutil.copy(busybox(), root / "base" / "busybox")
    for i in range(components if cpu_loop else 0):
        shutil.copy(busybox(), root / f"c{i:03d}" / "busybox")
    return root


def references(root: Path, env) -> list[str]:
    import json

    done = subprocess.run(emb_argv("-C", str(root), "resources", "--json"), env=env, capture_output=True)
    if done.returncode != 0:
        raise BenchError(done.stderr.decode(errors="replace")[-300:])
    return [item["reference"] for item in json.loads(done.stdout) if item["type"] == "docker/image"]


def cleanup(project: str) -> None:
    ids = subprocess.run(["docker", "images", "-q", "--filter", f"label=emb/project={project}"],
                         capture_output=True, text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rmi", "-f", *set(ids)], capture_output=True)


def up_to_date_row(what: str, root: Path, runs: int, goal: float, env) -> Row:
    _run(emb_argv("-C", str(root), "resources", "build", "-j", "2"), env)
    refs = references(root, env)
    row = compare(what, emb_argv("-C", str(root), "resources", "build"), ["docker", "image", "inspect", *refs],
                  runs=runs, env=env, baseline_what="one `docker image inspect` of every reference",
                  goal=f"< {goal} s", judge=under(goal))
    return row


def example_row(runs: int, work: Path) -> Row:
    """The example monorepo, copied (its busybox next to the base Dockerfile, as scripts/demo does)."""
    root = work / "example"
    shutil.copytree(TOP / "examples" / "production-ready", root, ignore=shutil.ignore_patterns(".emb"))
    shutil.copy(busybox(), root / "docker" / "busybox")
    project = f"acmebench{uuid.uuid4().hex[:6]}"
    emb_yml = root / ".emb.yml"
    emb_yml.write_text(emb_yml.read_text().replace("name: acme\n", f"name: {project}\n", 1))
    for dockerfile in root.rglob("Dockerfile"):
        dockerfile.write_text(dockerfile.read_text().replace("acme/", f"{project}/"))
    env = clean_env(DOCKER_TAG="bench")
    try:
        return up_to_date_row("`emb resources build`, all up to date: the example", root, runs, 0.25, env)
    finally:
        cleanup(project)


def big_row(runs: int, work: Path) -> Row:
    project = f"embbench{uuid.uuid4().hex[:6]}"
    root = generated(work / "c50", 50, 2000, project)
    try:
        row = up_to_date_row("`emb resources build`, all up to date: 50 components, 2,000 context files",
                             root, runs, 0.4, clean_env())
    finally:
        cleanup(project)
    return row


def parallel_row(runs: int, work: Path) -> Row:
    project = f"embpar{uuid.uuid4().hex[:6]}"
    root = generated(work / "par", 4, 8, project, cpu_loop=20_000)
    nonce = iter(range(10_000))
    argv = emb_argv("-C", str(root), "resources", "build")

    def build(jobs: str):
        def once() -> float:
            return time_once([*argv, "-j", jobs], env=clean_env(BENCH_NONCE=f"{os.getpid()}-{next(nonce)}"))
        return once

    try:
        _run([*argv, "-j", "2"], clean_env())  # the base layers, once: what differs is the RUN step
        ours, theirs = interleaved(build("2"), build("1"), runs=max(3, runs // 3), warmup=0)
    finally:
        cleanup(project)
    import statistics

    row = Row(what="cold build of 4 independent images: `-j 2` vs `-j 1`", median=statistics.median(ours),
              baseline=statistics.median(theirs), unit="s", baseline_what="`-j 1`", goal="ratio ≤ 0.65",
              samples=ours, baseline_samples=theirs)
    row.ok = row.ratio is not None and row.ratio <= 0.65
    row.note = f"{os.cpu_count()} CPUs"
    return row


def _walk_and_stat(folder: str) -> int:
    """The least a content check must do: visit every entry and lstat it."""
    count = 0
    with os.scandir(folder) as it:
        for entry in it:
            entry.stat(follow_symlinks=False)
            count += 1
            if entry.is_dir(follow_symlinks=False):
                count += _walk_and_stat(entry.path)
    return count


def growth_rows(runs: int, work: Path) -> list[Row]:
    """The freshness check of one context, warm (every digest cached), timed in this process
    (emb's start-up and docker's answer do not depend on the context's size), against a bare
    scandir + lstat walk of the same tree measured alternately: the filesystem's own cost per
    entry is not emb's, the ratio to it is."""
    sys.path.insert(0, str(TOP))
    import statistics
    import time

    from emb.resources import context

    figures, ratios, rows = {}, {}, []
    for files in (500, 2000, 8000):
        root = generated(work / f"g{files}", 1, files, "embgrow")
        ctx = root / "c000"
        cache = context.HashCache()
        context.fingerprint_context(ctx, ctx / "Dockerfile", context.LEGACY, cache=cache)
        time.sleep(0.05)  # files written within the racy window are hashed but not trusted yet
        context.fingerprint_context(ctx, ctx / "Dockerfile", context.LEGACY, cache=cache)  # warm
        reads = cache.reads

        def check() -> float:
            started = time.perf_counter()
            context.fingerprint_context(ctx, ctx / "Dockerfile", context.LEGACY, cache=cache)
            return time.perf_counter() - started

        def walk() -> float:
            started = time.perf_counter()
            _walk_and_stat(str(ctx))
            return time.perf_counter() - started

        ours, theirs = interleaved(check, walk, runs=max(7, runs), warmup=1)
        if cache.reads != reads:
            raise BenchError(f"a warm check read {cache.reads - reads} files")
        figures[files] = statistics.median(ours)
        ratios[files] = figures[files] / statistics.median(theirs)
        rows.append(Row(what=f"warm freshness check, one context of {files:,} files", median=figures[files],
                        baseline=statistics.median(theirs), baseline_what="scandir + lstat walk",
                        samples=ours, baseline_samples=theirs, detail=True))
    row = Row(what="freshness check, 8,000 vs 500 context files: emb's cost over a bare walk",
              median=round(ratios[8000], 2), baseline=round(ratios[500], 2), unit="x walk",
              goal="linear: ratio ≤ 1.5", baseline_what="the same at 500 files")
    row.ok = ratios[8000] / ratios[500] <= 1.5
    row.note = ", ".join(f"{n:,} files: {fmt_value(t, 'ms')}" for n, t in figures.items()) + \
        "; no file read on a warm check"
    return [row, *rows]


def measure(runs: int, work: Path) -> list[Row]:
    rows = [example_row(runs, work), big_row(runs, work), parallel_row(runs, work)]
    rows.extend(growth_rows(runs, work))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="emb-resources-bench-") as tmp:
        rows = measure(args.runs, Path(tmp))
    for row in rows:
        base = f" vs {fmt_value(row.baseline, row.unit)} (ratio {row.ratio:.2f})" if row.baseline else ""
        verdict = "" if row.ok is None else ("  OK" if row.ok else "  GOAL MISSED")
        note = f"  [{row.note}]" if row.note else ""
        print(f"{row.what}: {fmt_value(row.median, row.unit)}{base}{verdict}{note}")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
