"""The validation and parse caches in .emb/cache/ may only ever save time: a changed
input is validated and parsed again, and a missing, corrupt or unwritable cache is ignored."""

from __future__ import annotations

import pytest

import emb.config.loader as loader

EMB = "project: {name: x}\nplugins: [autodocker, embfiles]\nflavors: {f: {patches: []}}\n"
EMBFILE = "tasks: {t: {script: one}}\n"


@pytest.fixture
def validations(monkeypatch):
    calls = []
    real = loader.validate

    def counting(kind, data, error):
        calls.append(kind)
        return real(kind, data, error)

    monkeypatch.setattr(loader, "validate", counting)
    return calls


def test_second_load_skips_validation(repo, validations):
    repo.write({".emb.yml": EMB, "api/Dockerfile": "", "api/Embfile.yml": EMBFILE})
    repo.load()
    assert validations == ["emb", "embfile"]
    validations.clear()
    repo.load()
    assert validations == []
    assert (repo.root / ".emb" / "cache" / "validated").is_file()


def test_an_edited_file_is_validated_and_parsed_again(repo, validations):
    repo.write({".emb.yml": EMB, "api/Dockerfile": "", "api/Embfile.yml": EMBFILE})
    repo.load()
    repo.write({"api/Embfile.yml": "tasks: {t: {script: two}}\n"})
    assert repo.load().tasks["api:t"].script == "two"
    repo.write({"api/Embfile.yml": "tasks: {t: {scrip: two}}\n"})
    assert "unknown key 'scrip'" in repo.error().message


def test_flavor_and_discovered_folders_are_part_of_the_key(repo, validations):
    repo.write({".emb.yml": EMB, "api/Dockerfile": "", "api/Embfile.yml": EMBFILE})
    repo.load()
    validations.clear()
    repo.load(flavor="f")
    assert "emb" in validations  # flavored document validated
    validations.clear()
    repo.write({"web/Dockerfile": ""})
    assert "web" in repo.load().components
    assert validations  # new folder: validated again


@pytest.mark.parametrize("damage", ["corrupt", "folder-is-a-file"])
def test_damaged_cache_is_ignored(repo, validations, damage):
    repo.write({".emb.yml": EMB, "api/Dockerfile": "", "api/Embfile.yml": EMBFILE})
    repo.load()
    cache = repo.root / ".emb" / "cache"
    if damage == "corrupt":
        (cache / "validated").write_bytes(b"\xff\xfe garbage")
        (cache / "parsed.marshal").write_bytes(b"\x00garbage")
    else:
        import shutil

        shutil.rmtree(repo.root / ".emb")
        (repo.root / ".emb").write_text("not a folder")
    validations.clear()
    assert repo.load().tasks["api:t"].script == "one"
    assert validations == ["emb", "embfile"]
    validations.clear()
    repo.load()
    assert validations == ([] if damage == "corrupt" else ["emb", "embfile"])
