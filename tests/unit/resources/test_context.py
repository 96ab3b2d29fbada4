"""The context walk (what docker sends), the manifest, the hash cache and diff."""

from __future__ import annotations

import os
import socket

import pytest

from emb.errors import ConfigError, EmbError
from emb.resources import context as ctx
from tests.helpers import write_tree


@pytest.fixture
def no_racy_window(monkeypatch):
    """Trust files written just before a check (the racy rule has its own test)."""
    monkeypatch.setattr(ctx, "RACY_NS", 0)


def paths(context, **kw) -> list[str]:
    return [entry.path for entry in ctx.context_entries(context, **kw)]


# -- which builder, which ignore file ------------------------------------------------

@pytest.mark.parametrize("buildx, env, expected", [
    (True, {}, ctx.BUILDKIT),
    (False, {}, ctx.LEGACY),
    (True, {"DOCKER_BUILDKIT": "0"}, ctx.LEGACY),
    (False, {"DOCKER_BUILDKIT": "1"}, ctx.BUILDKIT),
    (True, {"DOCKER_BUILDKIT": "false"}, ctx.LEGACY),
    (False, {"DOCKER_BUILDKIT": ""}, ctx.LEGACY),
])
def test_docker_builder(buildx, env, expected):
    assert ctx.docker_builder(buildx, env) == expected


def test_docker_builder_refuses_a_value_docker_refuses():
    with pytest.raises(ConfigError) as raised:
        ctx.docker_builder(True, {"DOCKER_BUILDKIT": "yes"})
    assert "DOCKER_BUILDKIT" in raised.value.message and raised.value.hints


def test_buildkit_prefers_the_dockerfiles_own_ignore_file(tmp_path):
    write_tree(tmp_path, {
        ".dockerignore": "a\n", "docker/app.Dockerfile": "FROM scratch\n",
        "docker/app.Dockerfile.dockerignore": "b\n", "a": "", "b": "",
    })
    dockerfile = tmp_path / "docker/app.Dockerfile"
    assert ctx.ignore_file(tmp_path, dockerfile, ctx.BUILDKIT) == tmp_path / "docker/app.Dockerfile.dockerignore"
    assert "a" in paths(tmp_path, dockerfile=dockerfile, builder=ctx.BUILDKIT)
    assert "b" not in paths(tmp_path, dockerfile=dockerfile, builder=ctx.BUILDKIT)


def test_legacy_builder_reads_only_the_contexts_ignore_file(tmp_path):
    write_tree(tmp_path, {
        ".dockerignore": "a\n", "Dockerfile": "", "Dockerfile.dockerignore": "b\n", "a": "", "b": "",
    })
    assert ctx.ignore_file(tmp_path, None, ctx.LEGACY) == tmp_path / ".dockerignore"
    assert "b" in paths(tmp_path, builder=ctx.LEGACY) and "a" not in paths(tmp_path, builder=ctx.LEGACY)


def test_buildkit_falls_back_to_the_contexts_ignore_file(tmp_path):
    write_tree(tmp_path, {".dockerignore": "a\n", "Dockerfile": "", "a": ""})
    assert ctx.ignore_file(tmp_path, None, ctx.BUILDKIT) == tmp_path / ".dockerignore"


def test_no_ignore_file(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ""})
    assert ctx.ignore_file(tmp_path) is None
    assert ctx.ignore_patterns(tmp_path) == ()


# -- the walk ----------------------------------------------------------------------

def test_entries_are_sorted_relative_slash_paths_with_folders(tmp_path):
    write_tree(tmp_path, {"b/x": "", "a-b": "", "a/c": ""})
    assert paths(tmp_path) == ["a", "a-b", "a/c", "b", "b/x"]


def test_symlinks_are_sent_as_links_never_followed(tmp_path):
    write_tree(tmp_path, {"real/inside": ""})
    os.symlink("real", tmp_path / "to-dir")
    os.symlink("/nowhere", tmp_path / "dangling")
    entries = {e.path: e for e in ctx.context_entries(tmp_path)}
    assert entries["to-dir"].kind == "l" and entries["to-dir"].target == "real"
    assert entries["dangling"].target == "/nowhere"
    assert "to-dir/inside" not in entries


def test_empty_folders_are_sent_unless_excluded(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "gone").mkdir()
    (tmp_path / ".dockerignore").write_text("gone\n")
    assert paths(tmp_path) == [".dockerignore", "empty"]


def test_an_excluded_folder_is_sent_when_an_exception_lies_below(tmp_path):
    write_tree(tmp_path, {".dockerignore": "docs\n!docs/a/keep\n", "docs/a/keep": "", "docs/a/drop": "",
                          "docs/b/x": ""})
    assert paths(tmp_path) == [".dockerignore", "docs", "docs/a", "docs/a/keep"]


def test_an_excluded_folder_holding_nothing_sent_is_not_sent(tmp_path):
    write_tree(tmp_path, {".dockerignore": "docs\n!docs/keep\n", "docs/other": ""})
    assert paths(tmp_path) == [".dockerignore"]


@pytest.mark.parametrize("builder, expected_mode", [(ctx.BUILDKIT, 0o700), (ctx.LEGACY, 0o755)])
def test_mode_of_a_folder_sent_only_to_hold_an_exception(tmp_path, builder, expected_mode):
    write_tree(tmp_path, {".dockerignore": "private\n!private/pub\n", "private/pub": ""})
    (tmp_path / "private").chmod(0o700)
    entries = {e.path: e for e in ctx.context_entries(tmp_path, builder=builder)}
    assert entries["private"].mode == expected_mode


def test_glob_exceptions_below_an_excluded_folder_differ_by_builder(tmp_path):
    write_tree(tmp_path, {".dockerignore": "logs\n!**/keep.log\n", "logs/keep.log": "", "src/keep.log": ""})
    assert "logs/keep.log" in paths(tmp_path, builder=ctx.BUILDKIT)
    assert "logs/keep.log" not in paths(tmp_path, builder=ctx.LEGACY)


def test_buildkit_treats_the_dockerfile_and_ignore_file_as_any_file(tmp_path):
    write_tree(tmp_path, {".dockerignore": ".dockerignore\nDockerfile\n", "Dockerfile": "", "a": ""})
    assert paths(tmp_path, builder=ctx.BUILDKIT) == ["a"]


def test_legacy_builder_leaves_the_folder_of_an_excluded_dockerfile(tmp_path):
    write_tree(tmp_path, {".dockerignore": "docker\n", "docker/Dockerfile": "", "docker/other": "", "a": ""})
    dockerfile = tmp_path / "docker/Dockerfile"
    assert paths(tmp_path, dockerfile=dockerfile, builder=ctx.LEGACY) == [".dockerignore", "a", "docker"]
    assert paths(tmp_path, dockerfile=dockerfile, builder=ctx.BUILDKIT) == [".dockerignore", "a"]


def test_legacy_builder_keeps_a_dockerfile_not_excluded(tmp_path):
    write_tree(tmp_path, {".dockerignore": "*.md\n", "Dockerfile": "", "x.md": ""})
    assert paths(tmp_path, builder=ctx.LEGACY) == [".dockerignore", "Dockerfile"]


def test_sockets_are_not_sent(tmp_path):
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock"))
        (tmp_path / "file").write_text("")
        assert paths(tmp_path) == ["file"]
    finally:
        server.close()


def test_a_context_that_is_not_a_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as raised:
        ctx.context_entries(tmp_path / "missing")
    assert "is not a folder" in raised.value.message


def test_a_bad_ignore_file_is_a_config_error_naming_it(tmp_path):
    write_tree(tmp_path, {".dockerignore": "ok\nbad[\n"})
    with pytest.raises(ConfigError) as raised:
        ctx.context_entries(tmp_path)
    assert str(tmp_path / ".dockerignore") in raised.value.message and "'bad['" in raised.value.message


def test_unknown_builder_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        ctx.context_entries(tmp_path, builder="kaniko")


# -- the manifest ------------------------------------------------------------------

def test_manifest_values_hold_kind_mode_and_content(tmp_path, no_racy_window):
    write_tree(tmp_path, {"a.txt": "hello", "sub/b": ""})
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    os.symlink("a.txt", tmp_path / "link")
    manifest = ctx.fingerprint_context(tmp_path)
    assert sorted(manifest) == ["a.txt", "link", "run.sh", "sub", "sub/b"]
    assert manifest["a.txt"].startswith("f0644:") and manifest["run.sh"].startswith("f0755:")
    assert manifest["sub"] == "d0755" and manifest["link"].startswith("l:")
    assert manifest["a.txt"] != manifest["sub/b"]  # different content, different digest


def test_same_content_same_value_wherever_it_is(tmp_path, no_racy_window):
    write_tree(tmp_path, {"a": "same", "b/c": "same"})
    manifest = ctx.fingerprint_context(tmp_path)
    assert manifest["a"] == manifest["b/c"]


def test_manifest_digest_depends_on_content_not_on_order():
    one = {"a": "f0644:01", "b": "d0755"}
    assert ctx.manifest_digest(one) == ctx.manifest_digest(dict(reversed(list(one.items()))))
    assert ctx.manifest_digest(one) != ctx.manifest_digest({**one, "a": "f0644:02"})
    assert ctx.manifest_digest(one) != ctx.manifest_digest({"a": "f0644:01"})


def test_entry_value_of_a_file_outside_the_context(tmp_path, no_racy_window):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    value = ctx.entry_value(tmp_path / "Dockerfile")
    assert value.startswith("f0644:")
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    assert ctx.entry_value(tmp_path / "Dockerfile") != value


def test_entry_value_reads_through_a_symlinked_dockerfile(tmp_path, no_racy_window):
    (tmp_path / "real").write_text("FROM scratch\n")
    os.symlink("real", tmp_path / "Dockerfile")
    assert ctx.entry_value(tmp_path / "Dockerfile") == ctx.entry_value(tmp_path / "real")


def test_manifest_digest_folds_in_named_inputs():
    manifest = {"a": "f0644:01"}
    plain = ctx.manifest_digest(manifest)
    with_arg = ctx.manifest_digest(manifest, {"build-arg:VERSION": "1"})
    assert with_arg != plain
    assert ctx.manifest_digest(manifest, {"build-arg:VERSION": "2"}) != with_arg
    # an input never passes for a file of the same name
    assert ctx.manifest_digest({}, {"a": "f0644:01"}) != plain


def test_entry_value_of_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(EmbError):
        ctx.entry_value(tmp_path / "nope")


# -- freshness: what changes the fingerprint, what does not ---------------------------

def test_touching_a_file_keeps_the_fingerprint(tmp_path, no_racy_window):
    write_tree(tmp_path, {"api/app.txt": "v1"})
    cache = ctx.HashCache()
    before = ctx.fingerprint_context(tmp_path, cache=cache)
    stat = (tmp_path / "api/app.txt").stat()
    os.utime(tmp_path / "api/app.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    after = ctx.fingerprint_context(tmp_path, cache=cache)
    assert after == before
    assert cache.reads == 2  # the touched file was read again (its stat changed), and found the same


def test_changing_content_changes_it_and_diff_names_the_file(tmp_path, no_racy_window):
    write_tree(tmp_path, {"api/app.txt": "v1", "api/other.txt": "o"})
    cache = ctx.HashCache()
    before = ctx.fingerprint_context(tmp_path, cache=cache)
    (tmp_path / "api/app.txt").write_text("v2")
    after = ctx.fingerprint_context(tmp_path, cache=cache)
    assert ctx.manifest_digest(after) != ctx.manifest_digest(before)
    assert ctx.diff(before, after) == ["api/app.txt changed"]


def test_same_size_same_mtime_new_content_is_still_seen(tmp_path, no_racy_window):
    """A tool that restores the mtime (rsync -t, tar x) still changes the ctime."""
    write_tree(tmp_path, {"a": "v1"})
    cache = ctx.HashCache()
    before = ctx.fingerprint_context(tmp_path, cache=cache)
    stat = (tmp_path / "a").stat()
    (tmp_path / "a").write_text("v2")
    os.utime(tmp_path / "a", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert ctx.diff(before, ctx.fingerprint_context(tmp_path, cache=cache)) == ["a changed"]


def test_added_and_removed_files(tmp_path, no_racy_window):
    write_tree(tmp_path, {"api/old.txt": "o"})
    before = ctx.fingerprint_context(tmp_path)
    (tmp_path / "api/old.txt").unlink()
    (tmp_path / "api/new.txt").write_text("n")
    assert ctx.diff(before, ctx.fingerprint_context(tmp_path)) == ["api/new.txt added", "api/old.txt removed"]


def test_a_mode_change_changes_it(tmp_path, no_racy_window):
    write_tree(tmp_path, {"run.sh": "#!/bin/sh\n"})
    before = ctx.fingerprint_context(tmp_path)
    (tmp_path / "run.sh").chmod(0o755)
    after = ctx.fingerprint_context(tmp_path)
    assert ctx.manifest_digest(after) != ctx.manifest_digest(before)
    assert ctx.diff(before, after) == ["run.sh mode changed (0644 -> 0755)"]


def test_a_link_pointing_elsewhere_changes_it(tmp_path, no_racy_window):
    os.symlink("a", tmp_path / "link")
    before = ctx.fingerprint_context(tmp_path)
    (tmp_path / "link").unlink()
    os.symlink("b", tmp_path / "link")
    assert ctx.diff(before, ctx.fingerprint_context(tmp_path)) == ["link now points elsewhere"]


def test_a_file_becoming_a_folder(tmp_path, no_racy_window):
    (tmp_path / "x").write_text("")
    before = ctx.fingerprint_context(tmp_path)
    (tmp_path / "x").unlink()
    (tmp_path / "x").mkdir()
    assert ctx.diff(before, ctx.fingerprint_context(tmp_path)) == ["x changed from a file to a folder"]


def test_an_excluded_file_does_not_count(tmp_path, no_racy_window):
    write_tree(tmp_path, {".dockerignore": "*.log\n", "a.log": "1", "a": ""})
    before = ctx.fingerprint_context(tmp_path)
    (tmp_path / "a.log").write_text("2")
    (tmp_path / "b.log").write_text("new")
    assert ctx.fingerprint_context(tmp_path) == before


def test_diff_is_short_and_says_how_many_more():
    old = {}
    new = {f"f{i}": "f0644:00" for i in range(5)}
    assert ctx.diff(old, new, limit=2) == ["f0 added", "f1 added", "and 3 more"]
    assert ctx.diff(new, new) == []


# -- the hash cache ----------------------------------------------------------------

def test_a_warm_check_reads_no_file(tmp_path, monkeypatch, no_racy_window):
    write_tree(tmp_path, {f"d{i}/f{j}": f"{i}-{j}" for i in range(5) for j in range(20)})
    cache = ctx.HashCache()
    cold = ctx.fingerprint_context(tmp_path, cache=cache)
    assert cache.reads == 100
    warm_cache = ctx.HashCache.load(cache.dumps())

    def no_open(*args, **kwargs):
        raise AssertionError(f"a warm check opened {args[0]}")

    monkeypatch.setattr(ctx, "open", no_open, raising=False)
    assert ctx.fingerprint_context(tmp_path, cache=warm_cache) == cold
    assert warm_cache.reads == 0 and warm_cache.bytes_read == 0


def test_a_file_changed_just_before_the_check_is_not_cached(tmp_path, monkeypatch):
    """Its next change may come within the same clock tick and leave its stat as it is."""
    monkeypatch.setattr(ctx, "RACY_NS", 3600 * 10**9)  # everything written in the last hour is "just now"
    (tmp_path / "a").write_text("v1")
    cache = ctx.HashCache()
    ctx.fingerprint_context(tmp_path, cache=cache)
    ctx.fingerprint_context(tmp_path, cache=cache)
    assert cache.reads == 2
    assert len(ctx.HashCache.load(cache.dumps())) == 0


def test_cache_keeps_entries_not_used_by_this_run(tmp_path, no_racy_window):
    write_tree(tmp_path, {"one/a": "1", "two/b": "2"})
    cache = ctx.HashCache()
    ctx.fingerprint_context(tmp_path / "one", cache=cache)
    ctx.fingerprint_context(tmp_path / "two", cache=cache)
    later = ctx.HashCache.load(cache.dumps())
    ctx.fingerprint_context(tmp_path / "one", cache=later)
    again = ctx.HashCache.load(later.dumps())
    ctx.fingerprint_context(tmp_path / "two", cache=again)
    assert again.reads == 0


def test_cache_is_bounded(tmp_path, monkeypatch, no_racy_window):
    monkeypatch.setattr(ctx.HashCache, "MAX_ENTRIES", 3)
    write_tree(tmp_path, {f"f{i}": str(i) for i in range(5)})
    cache = ctx.HashCache()
    ctx.fingerprint_context(tmp_path, cache=cache)
    assert len(ctx.HashCache.load(cache.dumps())) == 5  # this run's entries are all kept
    unused = ctx.HashCache.load(cache.dumps())  # loaded, never used by this run
    assert len(ctx.HashCache.load(unused.dumps())) == 3  # older entries are kept up to the bound


@pytest.mark.parametrize("data", [None, b"", b"garbage", b"\x00\x01\x02", ctx.marshal.dumps(("other", 1, {}))])
def test_a_missing_or_unreadable_cache_is_an_empty_one(data):
    cache = ctx.HashCache.load(data)
    assert len(cache) == 0 and cache.reads == 0


def test_an_unreadable_file_is_an_error_naming_it(tmp_path, monkeypatch, no_racy_window):
    (tmp_path / "secret").write_text("s")

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(ctx, "open", denied, raising=False)
    with pytest.raises(EmbError) as raised:
        ctx.fingerprint_context(tmp_path)
    assert str(tmp_path / "secret") in raised.value.message and raised.value.hints
