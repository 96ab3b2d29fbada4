"""Fixtures shared by the unit tests of emb.docker and the container executor:
no real docker on PATH, and a fake Compose plugin (tests/unit/fakes.py)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from emb.docker import compose
from tests.unit.fakes import FAKE_COMPOSE, make_exe


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No real docker on PATH, no COMPOSE_* settings, a private docker config dir."""
    for key in list(os.environ):
        if key.startswith(("COMPOSE_", "DOCKER_")):
            monkeypatch.delenv(key)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))  # the fakes use sh builtins only
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.setattr(compose, "SYSTEM_PLUGIN_DIRS", ())
    compose.clear_caches()
    yield SimpleNamespace(bin=bindir, plugins=tmp_path / "docker-config" / "cli-plugins", tmp=tmp_path)
    compose.clear_caches()


@pytest.fixture
def fake_plugin(clean_env):
    """A docker CLI and a compose plugin that answers `config --services` and logs each call."""
    calls = clean_env.tmp / "calls.log"
    make_exe(clean_env.bin / "docker", "exit 0\n")
    plugin = make_exe(clean_env.plugins / "docker-compose", FAKE_COMPOSE.format(calls=calls))
    clean_env.calls = calls
    clean_env.plugin = plugin
    return clean_env
