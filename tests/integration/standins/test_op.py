"""The `op` stand-in, driven as emb drives it: a subprocess with captured output.

Expected texts are the 1Password CLI's (sources in tests/standins/op's docstring).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time

import pytest

STAMP = r"\[ERROR\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d "


def op(clis, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["op", *args], env=env or clis.env(), capture_output=True, text=True,
                          timeout=30)


def error_line(done) -> str:
    """stderr without op's timestamp, checking it is there and that op exited 1."""
    assert done.returncode == 1 and done.stdout == ""
    assert re.match(STAMP, done.stderr), done.stderr
    assert done.stderr.endswith("\n") and done.stderr.count("\n") == 1
    return re.sub("^" + STAMP, "", done.stderr)[:-1]


@pytest.fixture
def clis(secret_clis):
    secret_clis.op_item("Prod", "db", password="pw", creds={"user": "app"})
    return secret_clis


def test_read_prints_the_value_and_a_newline(clis):
    done = op(clis, "read", "op://Prod/db/password")
    assert (done.returncode, done.stdout, done.stderr) == (0, "pw\n", "")


@pytest.mark.parametrize("flag", ["--no-newline", "-n"])
def test_no_newline(clis, flag):
    assert op(clis, "read", flag, "op://Prod/db/password").stdout == "pw"
    assert op(clis, "read", "op://Prod/db/password", flag).stdout == "pw"  # pflag: anywhere


def test_section_field(clis):
    assert op(clis, "read", "-n", "op://Prod/db/creds/user").stdout == "app"


def test_account_flag_and_variable_are_accepted_and_recorded(clis):
    done = op(clis, "read", "--account", "acme.1password.com", "op://Prod/db/password")
    assert done.stdout == "pw\n"
    assert op(clis, "--account=acme", "read", "op://Prod/db/password").stdout == "pw\n"
    op(clis, "read", "op://Prod/db/password", env=clis.env(OP_ACCOUNT="acme"))
    first, second, third = clis.calls("op")
    assert first["argv"] == ["read", "--account", "acme.1password.com", "op://Prod/db/password"]
    assert second["argv"][0] == "--account=acme"
    assert third["env"]["OP_ACCOUNT"] == "acme" and first["env"]["OP_ACCOUNT"] is None


def test_out_file_with_force_writes_0600_and_prints_the_path(clis, tmp_path):
    target = tmp_path / "out" / "secret.txt"
    target.parent.mkdir()
    done = op(clis, "read", "--force", "--out-file", str(target), "op://Prod/db/password")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{target}\n", "")
    assert target.read_text() == "pw"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    clis.op_item("Prod", "db", password="rotated")
    again = op(clis, "read", "-f", "-o", str(target), "op://Prod/db/password")
    assert again.returncode == 0 and target.read_text() == "rotated"


def test_out_file_without_force_on_an_existing_file_is_not_emulated(clis, tmp_path):
    target = tmp_path / "exists"
    target.write_text("old")
    done = op(clis, "read", "--out-file", str(target), "op://Prod/db/password")
    assert done.returncode == 64 and done.stderr.startswith("emb stand-in: ")
    assert target.read_text() == "old"


def test_missing_item_field_and_vault(clis):
    assert error_line(op(clis, "read", "op://Prod/nope/password")) == (
        "could not read secret 'op://Prod/nope/password': could not get item Prod/nope: "
        "\"nope\" isn't an item in the \"Prod\" vault. Specify the item with its UUID, name, "
        "or domain.")
    assert error_line(op(clis, "read", "op://Prod/db/nope")) == (
        "could not read secret 'op://Prod/db/nope': item 'Prod/db' does not have a field 'nope'")
    assert error_line(op(clis, "read", "op://Dev/db/password")) == (
        "could not read secret 'op://Dev/db/password': \"Dev\" isn't a vault in this account")


def test_a_section_is_not_a_field(clis):
    assert error_line(op(clis, "read", "op://Prod/db/creds")).endswith(
        "item 'Prod/db' does not have a field 'creds'")


def test_too_many_slashes(clis):
    assert error_line(op(clis, "read", "op://Prod/db/a/b/c")) == (
        "could not read secret 'op://Prod/db/a/b/c': too many '/': secret references should "
        "match op://<vault>/<item>[/<section>]/<field>")


@pytest.mark.parametrize("state, expected", [
    ("signed_out", "could not read secret 'op://Prod/db/password': error initializing client: "
                   "You are not currently signed in. Please run `op signin --help` for "
                   "instructions"),
    ("forbidden", "(403) Forbidden: You aren't authorized to access this resource."),
    ("unreachable", "could not read secret 'op://Prod/db/password': error initializing client: "
                    "RequestDelegatedSession: cannot setup session. Please check the logs of the "
                    "1Password app."),
])
def test_read_in_each_failing_state(clis, state, expected):
    clis.set_state("op", state)
    assert error_line(op(clis, "read", "op://Prod/db/password")) == expected


def test_whoami_signed_out(clis):
    clis.set_state("op", "signed_out")
    assert error_line(op(clis, "whoami")) == "account is not signed in"


def test_whoami_service_account(clis):
    done = op(clis, "whoami", env=clis.env(OP_SERVICE_ACCOUNT_TOKEN="ops_secret_token"))
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "URL:               https://my.1password.com",
        "Integration ID:    STANDININTEGRATION0000000",
        "User Type:         SERVICE_ACCOUNT",
    ]
    call = clis.calls("op")[0]
    assert call["env"]["OP_SERVICE_ACCOUNT_TOKEN"] is True
    assert "ops_secret_token" not in clis.log.read_text()


def test_whoami_human_account_uses_the_first_account(clis):
    clis.op_account("acme.1password.com", "dev@acme.test", "UUSER", "UACCOUNT")
    done = op(clis, "whoami", "--account", "acme")
    assert (done.returncode, done.stdout.splitlines()) == (0, [
        "URL:               https://acme.1password.com",
        "Email:             dev@acme.test",
        "User ID:           UUSER",
        "User Type:         HUMAN",
    ])


def test_account_list_json_and_table(clis):
    assert op(clis, "account", "list").stdout == ""
    clis.op_account("acme.1password.com", "dev@acme.test", "UUSER", "UACCOUNT")
    as_json = json.loads(op(clis, "account", "list", "--format", "json").stdout)
    assert as_json == [{"url": "acme.1password.com", "email": "dev@acme.test",
                        "user_uuid": "UUSER", "account_uuid": "UACCOUNT"}]
    env_json = op(clis, "account", "list", env=clis.env(OP_FORMAT="json"))
    assert json.loads(env_json.stdout) == as_json
    table = op(clis, "account", "list").stdout.splitlines()
    assert [line.split() for line in table] == [["URL", "EMAIL", "USER", "ID"],
                                                ["acme.1password.com", "dev@acme.test", "UUSER"]]


def test_version(clis):
    assert op(clis, "--version").stdout == "2.30.3\n"
    clis.set("op", version="2.31.1")
    assert op(clis, "--version").stdout == "2.31.1\n"


def test_env_drops_the_hosts_1password_and_vault_settings(clis, monkeypatch):
    monkeypatch.setenv("OP_SERVICE_ACCOUNT_TOKEN", "host-token")
    monkeypatch.setenv("VAULT_ADDR", "https://vault.example.test")
    env = clis.env(OP_ACCOUNT="acme")
    assert "OP_SERVICE_ACCOUNT_TOKEN" not in env and "VAULT_ADDR" not in env
    assert env["OP_ACCOUNT"] == "acme"
    assert env["PATH"].split(os.pathsep)[0] == str(clis.bin)


def test_delay(clis):
    clis.set_state("op", "ok", delay=0.6)
    start = time.monotonic()
    assert op(clis, "read", "op://Prod/db/password").stdout == "pw\n"
    assert time.monotonic() - start >= 0.6


def test_unknown_commands_and_flags_say_they_are_not_emulated(clis):
    for args in (["item", "get", "db"], ["read", "--reveal", "op://Prod/db/password"]):
        done = op(clis, *args)
        assert done.returncode == 64 and done.stderr.startswith("emb stand-in: ")


def test_set_state_rejects_unknown_states(clis):
    with pytest.raises(ValueError, match="unknown op state"):
        clis.set_state("op", "sealed")
    with pytest.raises(ValueError, match="unknown stand-in"):
        clis.set_state("aws", "ok")
