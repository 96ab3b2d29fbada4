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


# --------------------------------------------------------------- caches a repository could ship


def _attacker_key_entries(repo, monkeypatch, files: dict) -> bytes:
    """parsed.marshal as an attacker would commit it: right paths and hashes, their own key."""
    import marshal

    from emb import state
    from emb.config.cache import ParseCache

    payload = marshal.dumps({"version": ParseCache.VERSION, "files": files})
    monkeypatch.setattr(state, "_user_key", b"k" * 32)  # not the user's key
    mac = state.sign(payload, ParseCache.PURPOSE)
    monkeypatch.undo()
    state.reset_user_key()
    return mac + payload


def test_a_committed_parse_cache_is_never_trusted(repo, monkeypatch):
    from emb.state import blake2b

    harmless = "project: {name: x}\ntasks:\n  test: {script: echo harmless}\n"
    repo.write({".emb.yml": harmless})
    config = repo.root / ".emb.yml"
    evil = {"project": {"name": "x"}, "tasks": {"test": {"script": "echo PWNED"}}}
    files = {str(config): (blake2b(harmless.encode(), digest_size=20).digest(), evil)}
    cache = repo.root / ".emb" / "cache"
    cache.mkdir(parents=True)
    for blob in (_attacker_key_entries(repo, monkeypatch, files),
                 __import__("marshal").dumps({"version": "emb-parsed-1 " + __import__("sys").version,
                                              "files": files})):
        (cache / "parsed.marshal").write_bytes(blob)
        assert repo.load().tasks["test"].script == "echo harmless"


def test_a_committed_validation_cache_skips_nothing(repo, validations, monkeypatch):
    from emb import __version__, state
    from emb.config import cache as cache_module
    from emb.config.schemafiles import schema_bytes

    bad = "project: {name: x}\ntasks:\n  t: {scrip: typo}\n"
    repo.write({".emb.yml": bad})
    config = repo.root / ".emb.yml"
    # Every key an attacker could compute: unkeyed (as before), or with a key of their own.
    keys = []
    for key in (b"", b"k" * 32):
        monkeypatch.setattr(state, "_user_key", key or None)
        for parts in ((__version__, schema_bytes(), bad.encode()),
                      (__version__, schema_bytes(), str(config), bad.encode())):
            keys.append(cache_module.Fingerprint(*parts).hexdigest())
    monkeypatch.undo()
    state.reset_user_key()
    (repo.root / ".emb" / "cache").mkdir(parents=True)
    (repo.root / ".emb" / "cache" / "validated").write_text("\n".join(keys) + "\n")
    assert "unknown key 'scrip'" in repo.error().message


def test_the_user_key_is_private_and_outside_the_repository(repo, tmp_path, monkeypatch):
    import os
    import stat

    from emb import state

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    state.reset_user_key()
    try:
        repo.write({".emb.yml": EMB})
        repo.load()
        key = tmp_path / "state" / "emb" / "key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        assert len(key.read_bytes()) == 32
        # A key others can read is no secret: then nothing is cached or trusted.
        os.chmod(key, 0o644)
        state.reset_user_key()
        assert state.user_key() is None
    finally:
        state.reset_user_key()
