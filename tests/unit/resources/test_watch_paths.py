"""watch-paths: globs relative to the context (a leading / to the monorepo root), as EMB 0.30's node-glob."""

from __future__ import annotations

import os

import pytest

from emb.errors import ConfigError
from emb.resources import context as ctx
from emb.resources._globs import braces, segment_matcher
from tests.helpers import write_tree


@pytest.fixture
def mono(tmp_path, monkeypatch):
    monkeypatch.setattr(ctx, "RACY_NS", 0)
    write_tree(tmp_path, {
        "shared/lib.py": "lib", "shared/.secret": "s",
        "api/Dockerfile": "FROM scratch\n", "api/package.json": "{}",
        "api/src/a.ts": "a", "api/src/deep/b.ts": "b", "api/src/deep/c.js": "c",
        "api/.hidden/x.ts": "x", "api/src/.env": "e",
    })
    return tmp_path


def watched(mono, *globs):
    return sorted(ctx.watched_files(mono / "api", mono, list(globs)))


def test_globs_are_relative_to_the_context(mono):
    assert watched(mono, "Dockerfile", "package.json") == ["Dockerfile", "package.json"]


def test_a_leading_slash_is_relative_to_the_monorepo_root_and_kept_in_the_key(mono):
    assert watched(mono, "/shared/*.py") == ["/shared/lib.py"]


def test_double_star_is_any_depth_including_none(mono):
    assert watched(mono, "src/**/*.ts") == ["src/a.ts", "src/deep/b.ts"]


def test_trailing_double_star_is_everything_below_but_dot_names(mono):
    assert watched(mono, "src/**") == ["src/a.ts", "src/deep/b.ts", "src/deep/c.js"]


def test_wildcards_skip_dot_names_unless_the_pattern_part_starts_with_a_dot(mono):
    assert watched(mono, "**/*.ts") == ["src/a.ts", "src/deep/b.ts"]
    assert watched(mono, ".hidden/*") == [".hidden/x.ts"]
    assert watched(mono, "src/.*") == ["src/.env"]


def test_braces_classes_and_question_marks(mono):
    assert watched(mono, "src/deep/{b,c}.?s") == ["src/deep/b.ts", "src/deep/c.js"]
    assert watched(mono, "src/deep/[a-b].ts") == ["src/deep/b.ts"]
    assert watched(mono, "src/deep/[!b].*") == ["src/deep/c.js"]


def test_relative_paths_may_leave_the_context(mono):
    assert watched(mono, "../shared/lib.py") == ["../shared/lib.py"]


def test_a_file_named_twice_is_listed_once(mono):
    assert watched(mono, "src/a.ts", "src/*.ts", "**/a.ts") == ["src/a.ts"]


def test_a_glob_matching_nothing_is_a_config_error_with_a_hint(mono):
    with pytest.raises(ConfigError) as raised:
        ctx.watched_files(mono / "api", mono, ["src/**/*.ts", "docs/*.md"])
    assert "'docs/*.md' matches no file" in raised.value.message
    assert any("leading /" in hint for hint in raised.value.hints)


def test_a_folder_is_not_a_file(mono):
    with pytest.raises(ConfigError) as raised:
        ctx.watched_files(mono / "api", mono, ["src"])
    assert any("folder/**" in hint for hint in raised.value.hints)


def test_watched_content_and_mode_count_others_do_not(mono):
    before = ctx.watched_files(mono / "api", mono, ["src/**/*.ts"])
    (mono / "api/src/deep/c.js").write_text("not watched")
    assert ctx.watched_files(mono / "api", mono, ["src/**/*.ts"]) == before
    (mono / "api/src/a.ts").write_text("A")
    after = ctx.watched_files(mono / "api", mono, ["src/**/*.ts"])
    assert ctx.diff(before, after) == ["src/a.ts changed"]


def test_double_star_does_not_enter_symlinked_folders(mono):
    os.symlink("src", mono / "api/alias")
    assert watched(mono, "**/b.ts") == ["src/deep/b.ts"]


def test_brace_expansion():
    assert braces("a{b,c{d,e}}f") == ["abf", "acdf", "acef"]
    assert braces("a{b}c") == ["a{b}c"]
    assert braces("a\\{b,c}") == ["a\\{b,c}"]


def test_segment_matcher_escapes():
    assert segment_matcher("a\\*b") == "a*b"
    assert segment_matcher("*.py")("x.py") and not segment_matcher("*.py")(".x.py")
