"""SPEC §1 "Files": -C/--root > EMB_ROOT > walking up; not found names where it looked."""

from __future__ import annotations

from pathlib import Path

import pytest

from emb.config.find import find_config_file
from emb.errors import ConfigError
from tests.helpers import write_tree

MINIMAL = "project: {name: %s}\n"


@pytest.fixture
def two_repos(tmp_path):
    write_tree(tmp_path, {"one/.emb.yml": MINIMAL % "one", "one/api/src/x.txt": "",
                          "two/.emb.yml": MINIMAL % "two"})
    return tmp_path / "one", tmp_path / "two"


def test_walks_up_from_a_nested_folder(two_repos):
    one, _ = two_repos
    assert find_config_file(None, one / "api" / "src", {}) == one / ".emb.yml"


def test_root_option_takes_a_folder_or_the_file(two_repos, tmp_path):
    one, two = two_repos
    assert find_config_file(str(two), one, {}) == two / ".emb.yml"
    assert find_config_file(str(two / ".emb.yml"), one, {}) == two / ".emb.yml"
    # relative to the current directory
    assert find_config_file("../two", one, {}) == two / ".emb.yml"


def test_root_option_wins_over_emb_root_which_wins_over_walking_up(two_repos):
    one, two = two_repos
    assert find_config_file(None, one, {"EMB_ROOT": str(two)}) == two / ".emb.yml"
    assert find_config_file(str(one), one, {"EMB_ROOT": str(two)}) == one / ".emb.yml"


def test_not_found_names_where_it_looked(tmp_path):
    (tmp_path / "deep").mkdir()
    with pytest.raises(ConfigError) as info:
        find_config_file(None, tmp_path / "deep", {})
    assert str(tmp_path / "deep") in info.value.message
    assert "parent" in info.value.message


def test_root_folder_without_config_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError) as info:
        find_config_file(str(tmp_path), Path("/"), {})
    assert str(tmp_path) in info.value.message and "--root" in info.value.message
    with pytest.raises(ConfigError) as info:
        find_config_file(None, Path("/"), {"EMB_ROOT": str(tmp_path / "missing")})
    assert "missing" in info.value.message and "EMB_ROOT" in info.value.message


def test_monorepo_root_is_config_folder_joined_with_project_root_dir(repo):
    repo.write({"conf/.emb.yml": "project: {name: x, rootDir: ..}\ncomponents: {api: }\n", "api/a.txt": ""})
    mono = repo.load(cwd=repo.root / "conf")
    assert mono.root == repo.root
    assert mono.config_file == repo.root / "conf" / ".emb.yml"
    assert mono.components["api"].root_dir == repo.root / "api"
    assert mono.components["api"].rel_dir == "api"


def test_error_names_emb_root_when_the_value_came_from_it(tmp_path):
    """The CLI passes EMB_ROOT's value as `root` (click envvar): say EMB_ROOT, not --root."""
    missing = str(tmp_path / "missing")
    with pytest.raises(ConfigError, match="given by EMB_ROOT"):
        find_config_file(missing, tmp_path, {"EMB_ROOT": missing})
    with pytest.raises(ConfigError, match="given by --root"):
        find_config_file(missing, tmp_path, {})


def test_deleted_current_directory_is_a_config_error(tmp_path, monkeypatch):
    from emb.config.loader import load_monorepo

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(ConfigError, match="current directory no longer exists"):
        load_monorepo(environ={})
