"""The op provider against the recording `op` stand-in (tests/standins/op, whose header
cites where each answer of the real CLI comes from)."""

from __future__ import annotations

import pytest

from emb import launch, redact
from emb.config.secrets import (NOT_FOUND, NOT_INSTALLED, NOT_LOGGED_IN, PERMISSION_DENIED, TIMEOUT, UNREACHABLE,
                                SecretError, SecretSources)
from emb.config.secrets.onepassword import OnePassword
from emb.errors import EXIT_CANNOT_START, ConfigError


@pytest.fixture
def clis(secret_clis, monkeypatch):
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


def op(clis, config=None, **env) -> OnePassword:
    return OnePassword(config or {}, launched(clis.env(**env)))


def read(provider: OnePassword, body: str) -> str:
    return provider.read(provider.parse(body))


def failure(provider: OnePassword, body: str) -> SecretError:
    with pytest.raises(SecretError) as info:
        read(provider, body)
    assert info.value.exit_code == EXIT_CANNOT_START
    return info.value


def test_reads_a_field_with_op_read(clis):
    clis.op_item("Prod", "Database", password="p@ss word\n")
    assert read(op(clis), "Prod/Database#password") == "p@ss word\n"  # op's own newline removed, not the value's
    [call] = clis.calls("op")
    assert call["argv"] == ["read", "op://Prod/Database/password"]


def test_a_field_in_a_section(clis):
    clis.op_item("Prod", "Database", creds={"user": "app"})
    assert read(op(clis), "Prod/Database/creds#user") == "app"
    assert clis.calls("op")[0]["argv"] == ["read", "op://Prod/Database/creds/user"]


def test_account_from_the_plugin_config(clis):
    clis.op_item("Prod", "db", password="pw")
    assert read(op(clis, {"account": "acme.1password.com"}), "Prod/db#password") == "pw"
    assert clis.calls("op")[0]["argv"] == ["read", "op://Prod/db/password", "--account", "acme.1password.com"]


def test_op_variables_come_from_the_launch_environment_only(clis, monkeypatch):
    clis.op_item("Prod", "db", password="pw")
    monkeypatch.setenv("OP_ACCOUNT", "from-dotenv")
    monkeypatch.setenv("OP_SERVICE_ACCOUNT_TOKEN", "from-dotenv")
    read(op(clis, OP_ACCOUNT="launch-account"), "Prod/db#password")
    env = clis.calls("op")[0]["env"]
    assert env["OP_ACCOUNT"] == "launch-account"


@pytest.mark.parametrize("body", ["Prod#password", "Prod/db", "Prod/a/b/c#x", "Prod//db#x", " Prod/db#x"])
def test_malformed_references(clis, body):
    with pytest.raises(ConfigError) as info:
        op(clis).parse(body)
    assert "malformed secret reference" in info.value.message and "${op:Prod/Database#password}" in info.value.hints[0]
    assert clis.calls() == []


def test_not_installed(clis, tmp_path):
    err = failure(OnePassword({}, launched({"PATH": str(tmp_path)})), "Prod/db#password")
    assert err.kind == NOT_INSTALLED
    assert err.message == "the 1Password CLI (op) is not installed (reading ${op:Prod/db#password})"


def test_signed_out_says_op_signin(clis):
    clis.set_state("op", "signed_out")
    err = failure(op(clis, {"account": "acme"}), "Prod/db#password")
    assert err.kind == NOT_LOGGED_IN and err.message == "not signed in to 1Password (acme) (reading ${op:Prod/db#password})"
    assert err.hints[0].startswith("sign in: op signin --account acme")


def test_forbidden(clis):
    clis.set_state("op", "forbidden")
    err = failure(op(clis), "Prod/db#password")
    assert err.kind == PERMISSION_DENIED and err.message.startswith("permission denied by 1Password")
    assert "aren't authorized" in err.hints[0] and "[ERROR]" not in err.hints[0]


def test_unreachable(clis):
    clis.set_state("op", "unreachable")
    err = failure(op(clis), "Prod/db#password")
    assert err.kind == UNREACHABLE and err.message.startswith("cannot reach 1Password")


@pytest.mark.parametrize("body, message", [
    ("Nope/db#password", "no vault 'Nope' in 1Password"),
    ("Prod/nope#password", "no item 'nope' in 1Password vault 'Prod'"),
    ("Prod/db#nope", "1Password item 'Prod/db' has no field 'nope'"),
])
def test_not_found(clis, body, message):
    clis.op_item("Prod", "db", password="pw")
    err = failure(op(clis), body)
    assert err.kind == NOT_FOUND and err.message.startswith(message)


def test_a_slow_op_is_bounded_in_time(clis):
    clis.op_item("Prod", "db", password="pw")
    clis.set_state("op", "ok", delay=5)
    err = failure(op(clis, EMB_SECRET_TIMEOUT="0.3"), "Prod/db#password")
    assert err.kind == TIMEOUT


def test_status(clis):
    clis.op_account("acme.1password.com", "dev@acme.test", "U1", "A1")
    status = op(clis).status()
    assert status.installed and status.logged_in and status.detail == "https://acme.1password.com, dev@acme.test"
    assert clis.calls("op")[0]["argv"] == ["whoami"]
    clis.set_state("op", "signed_out")
    status = op(clis).status()
    assert status.installed and not status.logged_in and "not signed in" in status.detail


def test_sources_read_once_and_register(clis):
    clis.op_item("Prod", "db", password="op-secret-1")
    sources = SecretSources()
    sources.configure("op", {}, launched(clis.env()))
    assert sources.expand("op", "Prod/db#password") == "op-secret-1"
    assert sources.expand("op", "Prod/db#password") == "op-secret-1"
    assert len(clis.calls("op")) == 1
    assert redact.mask("x op-secret-1 y") == "x *** y"
