"""The build flow's scheduling, with `file` resources whose scripts run under real sh
(no docker): dependency order, parallel builds, fail-fast and -k, dry-run, --jobs."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from emb.errors import EmbError, UsageError
from emb.flow import builds
from emb.flow.buildview import PlainView
from emb.model import Resource
from tests.builders import monorepo

# Each gate script waits (up to 20 s) for the other's marker: both pass only if they run at once.
GATE = "touch ../{mine}; i=0; while [ ! -e ../{other} ]; do i=$((i+1)); [ $i -gt 400 ] && exit 9; sleep 0.05; done; touch out"


def file_res(rid: str, *deps: str, **params) -> Resource:
    component, _, name = rid.partition(":")
    return Resource(id=rid, name=name, component=component, type="file", params=params, dependencies=deps)


def make(tmp_path, *resources: Resource, **defaults):
    repo = monorepo(tmp_path, components=sorted({r.component for r in resources}), mkdirs=True)
    return repo._replace(resources={r.id: r for r in resources}, defaults=defaults)


def build(repo, *refs, **options):
    stream = io.StringIO()
    flow = builds.BuildFlow(repo, builds.Options(refs, **options), view=PlainView(stream))
    try:
        code = flow.run()
    except EmbError as err:
        return err, stream.getvalue()
    return code, stream.getvalue()


def test_dependencies_first_and_a_file_only_when_missing(tmp_path):
    repo = make(tmp_path,
                file_res("b:out", "a:seed", path="out", script="cat ../a/seed.txt > out"),
                file_res("a:seed", path="seed.txt", content="secret=1\n"))
    code, out = build(repo)
    assert code == 0, out
    assert (tmp_path / "b/out").read_text() == "secret=1\n"
    assert stat.S_IMODE(os.stat(tmp_path / "a/seed.txt").st_mode) == 0o600
    assert out.index("a:seed built") < out.index("building b:out")
    (tmp_path / "a/seed.txt").write_text("changed\n")
    code, out = build(repo)
    assert code == 0 and "a:seed: up to date (the file exists)" in out
    assert (tmp_path / "b/out").read_text() == "secret=1\n"  # not rebuilt: it exists
    code, out = build(repo, "b:out", force=True)
    assert (tmp_path / "b/out").read_text() == "secret=1\n"  # -f rewrote the seed from its content, then out


def test_independent_builds_run_at_once_up_to_jobs(tmp_path):
    repo = make(tmp_path, file_res("x:out", path="out", script=GATE.format(mine="x.m", other="y.m")),
                file_res("y:out", path="out", script=GATE.format(mine="y.m", other="x.m")))
    code, out = build(repo, jobs="2")
    assert code == 0, out
    assert (tmp_path / "x/out").exists() and (tmp_path / "y/out").exists()


def test_one_job_runs_one_build_at_a_time(tmp_path):
    log = tmp_path / "trace"
    script = "echo start {n} >> ../trace; echo end {n} >> ../trace; touch out"
    repo = make(tmp_path, *(file_res(f"c{n}:out", path="out", script=script.format(n=n)) for n in range(4)))
    code, out = build(repo, jobs=1)
    assert code == 0, out
    lines = log.read_text().split("\n")[:-1]
    assert lines == [f"{what} {n}" for n in range(4) for what in ("start", "end")]


def test_fail_fast_starts_nothing_new_and_k_skips_only_the_dependents(tmp_path):
    repo = make(tmp_path,
                file_res("a:out", path="out", script="echo cannot >&2; exit 4"),
                file_res("b:out", "a:out", path="out", script="touch out"),
                file_res("c:out", path="out", script="touch out"))
    err, out = build(repo)
    assert isinstance(err, EmbError) and err.exit_code == 1
    assert err.message == "failed to build: a:out; skipped (a dependency failed): b:out; not started: c:out"
    assert "a:out | cannot" in out
    assert any(h.startswith("log of a:out: ") for h in err.hints)
    assert not (tmp_path / "c/out").exists()

    err, out = build(repo, keep_going=True)
    assert err.message == "failed to build: a:out; skipped (a dependency failed): b:out"
    assert (tmp_path / "c/out").exists() and not (tmp_path / "b/out").exists()


def test_a_script_that_creates_nothing_fails_with_a_hint(tmp_path):
    repo = make(tmp_path, file_res("a:out", path="out", script="true"))
    err, _ = build(repo)
    assert err.exit_code == 1
    assert "its script ended without creating" in " ".join(err.hints)


def test_dry_run_builds_nothing_and_json_keeps_emb_names(tmp_path, capsys):
    repo = make(tmp_path, file_res("a:out", path="out", script="touch out"))
    code, _ = build(repo, dry_run=True, as_json=True)
    assert code == 0 and not (tmp_path / "a/out").exists()
    item = json.loads(capsys.readouterr().out)["a:out"]
    assert item["dryRun"] is True and item["cacheHit"] is False and item["status"] == "would build"
    assert item["sentinelData"]["reason"] == "file missing"
    assert set(item) >= {"resource", "reference", "builderInput", "sentinelData", "cacheHit", "dryRun"}


def test_jobs_option_then_defaults_then_one(tmp_path):
    repo = make(tmp_path, file_res("a:out"))
    assert builds.jobs_count(None, repo) == 1
    assert builds.jobs_count(None, repo._replace(defaults={"build": {"concurrency": 3}})) == 3
    assert builds.jobs_count("2", repo._replace(defaults={"build": {"concurrency": 3}})) == 2
    assert builds.jobs_count("auto", repo) == max(1, min(os.cpu_count() or 1, 4))
    for bad in ("0", "many"):
        with pytest.raises(UsageError):
            builds.jobs_count(bad, repo)
