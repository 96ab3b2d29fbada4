"""The stand-in secret CLIs as the providers' unit tests use them (tests/standins)."""

from __future__ import annotations

import pytest

from emb import launch, redact


@pytest.fixture
def clis(secret_clis, monkeypatch):
    # The stand-ins find their log and data through emb's own environment.
    monkeypatch.setenv("EMB_STANDIN_LOG", str(secret_clis.log))
    monkeypatch.setenv("EMB_STANDIN_DATA", str(secret_clis.data_path))
    redact.forget_all()
    yield secret_clis
    redact.forget_all()
    launch.reset()


def launched(env: dict) -> dict:
    """`env` as the environment emb was started in (the process layer runs tools with
    its PATH and HOME, whatever a provider is given)."""
    launch.reset()
    launch.capture(env)
    return dict(launch.launch_environ())
