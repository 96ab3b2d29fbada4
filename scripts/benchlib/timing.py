"""Shared timing code for scripts/bench: medians of N runs, baselines measured in
the same run, interleaved so that drift (CPU frequency, caches, other load)
hits both sides alike.

Other bench helpers build on three things:

    time_once(argv, **kw) -> float                      seconds for one run
    compare(what, argv, baseline_argv, runs=..., ...) -> Row
    Row(what, median, baseline, unit, goal, ok, note)   one line of the table
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence


class BenchError(Exception):
    """A measured command failed: the number would be meaningless."""


@dataclass
class Row:
    """One line of the results table.

    `median` and `baseline` are seconds for time rows (unit "ms" is how they are
    shown) or bytes per second for throughput rows (unit "MB/s"). `ok` is None
    when the row was skipped or has no goal; `note` says why it was skipped, or
    adds a fact worth printing (e.g. the log size checked).
    """

    what: str
    median: float | None = None
    baseline: float | None = None
    unit: str = "ms"
    goal: str = ""
    ok: bool | None = None
    note: str = ""
    baseline_what: str = ""
    detail: bool = False  # explains another row; shown in a separate table
    samples: list[float] = field(default_factory=list, repr=False)
    baseline_samples: list[float] = field(default_factory=list, repr=False)

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.baseline:
            return None
        return self.median / self.baseline

    @property
    def skipped(self) -> bool:
        return self.median is None


def skipped(what: str, reason: str, goal: str = "") -> Row:
    return Row(what=what, goal=goal, note=f"skipped: {reason}")


def time_once(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    stdout=subprocess.DEVNULL,
    check: bool = True,
    timeout: float = 120,
) -> float:
    """Wall-clock seconds of one run of argv (stdin closed, stderr captured for errors)."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(argv), env=dict(env) if env is not None else None, cwd=cwd,
        stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout,
    )
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: " + " | ".join(tail))
    return elapsed


def interleaved(
    measure: Callable[[], float],
    baseline: Callable[[], float] | None,
    runs: int,
    warmup: int = 1,
) -> tuple[list[float], list[float]]:
    """Run measure/baseline alternately `runs` times each after `warmup` untimed rounds."""
    for _ in range(warmup):
        measure()
        if baseline:
            baseline()
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(measure())
        if baseline:
            theirs.append(baseline())
    return ours, theirs


def compare(
    what: str,
    argv: Sequence[str],
    baseline_argv: Sequence[str] | None,
    *,
    runs: int = 11,
    warmup: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    baseline_env: Mapping[str, str] | None = None,
    baseline_cwd: str | os.PathLike | None = None,
    baseline_what: str = "",
    goal: str = "",
    judge: Callable[[Row], bool] | None = None,
) -> Row:
    """Median wall time of argv vs baseline_argv, run alternately in this process."""
    ours, theirs = interleaved(
        lambda: time_once(argv, env=env, cwd=cwd),
        (lambda: time_once(baseline_argv, env=baseline_env or env, cwd=baseline_cwd or cwd))
        if baseline_argv else None,
        runs, warmup,
    )
    row = Row(
        what=what, median=statistics.median(ours),
        baseline=statistics.median(theirs) if theirs else None,
        goal=goal, baseline_what=baseline_what or (" ".join(baseline_argv) if baseline_argv else ""),
        samples=ours, baseline_samples=theirs,
    )
    if judge is not None:
        row.ok = judge(row)
    return row


def under(limit_seconds: float) -> Callable[[Row], bool]:
    """Goal: the median is below an absolute time."""
    return lambda row: row.median is not None and row.median < limit_seconds


def ratio_at_most(limit: float) -> Callable[[Row], bool]:
    """Goal: median / baseline median is at most `limit`, at the precision the table shows
    (so a row never reads "1.30 ... ratio ≤ 1.3 ... MISSED")."""
    return lambda row: row.ratio is not None and round(row.ratio, 2) <= limit


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:.0f} ms" if value * 1000 >= 10 else f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB/s":
        return f"{value / 1e6:.0f} MB/s"
    return f"{value:g} {unit}"


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
