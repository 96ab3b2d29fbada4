"""Switching branches back and forth with real git keeps the fingerprint; staying on the other branch does not."""

from __future__ import annotations

import subprocess

import pytest

from emb.resources import context as ctx
from tests.helpers import write_tree


def git(repo, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=emb", "-c", "user.email=emb@example.invalid", "-c", "init.defaultBranch=main",
         "-c", "core.fileMode=true", *args],
        cwd=repo, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setattr(ctx, "RACY_NS", 0)  # trust files git wrote just before a check
    write_tree(tmp_path, {
        "api/.dockerignore": "*.log\n",
        "api/Dockerfile": "FROM scratch\nCOPY . /srv/\n",
        "api/app.py": "print('main')\n",
        "api/lib/util.py": "X = 1\n",
        "api/run.sh": "#!/bin/sh\n",
    })
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "main")
    git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "api/app.py").write_text("print('feature')\n")
    (tmp_path / "api/lib/util.py").unlink()
    (tmp_path / "api/lib/new.py").write_text("Y = 2\n")
    (tmp_path / "api/run.sh").chmod(0o755)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "feature")
    git(tmp_path, "checkout", "-q", "main")
    return tmp_path


def test_checkout_back_and_forth_keeps_the_fingerprint(repo):
    cache = ctx.HashCache()
    on_main = ctx.fingerprint_context(repo / "api", cache=cache)
    git(repo, "checkout", "-q", "feature")
    on_feature = ctx.fingerprint_context(repo / "api", cache=cache)
    git(repo, "checkout", "-q", "main")
    back = ctx.fingerprint_context(repo / "api", cache=cache)
    assert ctx.manifest_digest(back) == ctx.manifest_digest(on_main)
    assert ctx.diff(on_main, on_feature, limit=10) == [
        "app.py changed", "lib/new.py added", "lib/util.py removed", "run.sh mode changed (0644 -> 0755)"]


def test_a_log_file_left_by_the_other_branch_does_not_count(repo):
    before = ctx.fingerprint_context(repo / "api")
    (repo / "api/debug.log").write_text("ignored by .dockerignore\n")
    git(repo, "checkout", "-q", "feature")
    git(repo, "checkout", "-q", "main")
    assert ctx.fingerprint_context(repo / "api") == before
