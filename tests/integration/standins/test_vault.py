"""The `vault` stand-in, driven as emb drives it: a subprocess with captured output.

Expected texts are the real CLI's (sources in tests/standins/vault's docstring);
a change to the stand-in that drifts from them fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pexpect
import pytest

ADDR = "http://127.0.0.1:8200"


def vault(clis, *args, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["vault", *args], env=env or clis.env(VAULT_ADDR=ADDR, VAULT_TOKEN="t0k"),
                          capture_output=True, text=True, timeout=30, **kw)


def api_error(path: str, code: int, error: str, addr: str = ADDR) -> str:
    return (f"Error making API request.\n\nURL: GET {addr}/v1/{path}\n"
            f"Code: {code}. Errors:\n\n* {error}\n")


@pytest.fixture
def clis(secret_clis, tmp_path):
    secret_clis.vault_secret("secret/app", password="s3cr3t", port=5432, user="app")
    secret_clis.home = tmp_path / "home"  # no ~/.vault-token unless a test writes one
    secret_clis.home.mkdir()
    return secret_clis


def test_field_of_a_kv2_secret_is_printed_without_a_newline(clis):
    done = vault(clis, "kv", "get", "-field=password", "secret/app")
    assert (done.returncode, done.stdout, done.stderr) == (0, "s3cr3t", "")


def test_field_values_are_printed_as_go_prints_them(clis):
    assert vault(clis, "kv", "get", "-field=port", "secret/app").stdout == "5432"
    done = vault(clis, "kv", "get", "-format=json", "-field=password", "secret/app")
    assert (done.returncode, done.stdout) == (0, '"s3cr3t"')


def test_field_is_followed_by_a_newline_on_a_terminal(clis):
    child = pexpect.spawn("vault", ["kv", "get", "-field=password", "secret/app"],
                          env=clis.env(VAULT_ADDR=ADDR, VAULT_TOKEN="t0k"), encoding="utf-8",
                          timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert (child.exitstatus, child.before) == (0, "s3cr3t\r\n")


def test_mount_flag_names_the_mount_and_the_rest_is_the_path(clis):
    done = vault(clis, "kv", "get", "-mount=secret", "-field=user", "app")
    assert (done.returncode, done.stdout) == (0, "app")


def test_kv1_mount_reads_the_path_as_given(clis):
    clis.vault_mount("kv", 1)
    clis.vault_secret("kv/legacy", token="old")
    done = vault(clis, "kv", "get", "-field=token", "kv/legacy")
    assert (done.returncode, done.stdout) == (0, "old")
    missing = vault(clis, "kv", "get", "-field=token", "kv/nothing")
    assert (missing.returncode, missing.stderr) == (2, "No value found at kv/nothing\n")


def test_json_output_has_vaults_field_order_and_sorted_maps(clis):
    done = vault(clis, "kv", "get", "-format=json", "secret/app")
    assert done.returncode == 0
    secret = json.loads(done.stdout)
    assert list(secret) == ["request_id", "lease_id", "lease_duration", "renewable", "data",
                            "warnings", "mount_type"]
    assert secret["data"]["data"] == {"password": "s3cr3t", "port": 5432, "user": "app"}
    assert list(secret["data"]["data"]) == ["password", "port", "user"]
    assert secret["data"]["metadata"]["version"] == 1
    assert done.stdout.startswith('{\n  "request_id": "') and done.stdout.endswith("}\n")


def test_kv1_json_output_holds_the_values_directly(clis):
    clis.vault_mount("kv", 1)
    clis.vault_secret("kv/legacy", token="a<b")
    done = vault(clis, "kv", "get", "-format=json", "kv/legacy")
    secret = json.loads(done.stdout)
    assert secret["data"] == {"token": "a<b"}
    assert secret["lease_duration"] == 2764800
    assert '"a\\u003cb"' in done.stdout  # Go's encoder escapes <, > and &


def test_missing_path_and_missing_field(clis):
    missing = vault(clis, "kv", "get", "-field=password", "secret/nope")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        2, "", "No value found at secret/data/nope\n")
    field = vault(clis, "kv", "get", "-field=nope", "secret/app")
    assert (field.returncode, field.stderr) == (1, 'Field "nope" not present in secret\n')


def test_deleted_kv2_version_has_no_data(clis):
    clis.vault_secret("secret/gone", deleted=True)
    done = vault(clis, "kv", "get", "-field=password", "secret/gone")
    assert (done.returncode, done.stderr) == (2, "No data found at secret/data/gone\n")


def test_no_token_anywhere_is_a_permission_denied_preflight(clis):
    env = clis.env(VAULT_ADDR=ADDR, HOME=str(clis.home))
    done = vault(clis, "kv", "get", "-field=password", "secret/app", env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == api_error("sys/internal/ui/mounts/secret/app", 403, "permission denied")


def test_the_token_file_of_vault_login_counts_as_logged_in(clis):
    (clis.home / ".vault-token").write_text("file-token")
    env = clis.env(VAULT_ADDR=ADDR, HOME=str(clis.home))
    done = vault(clis, "kv", "get", "-field=password", "secret/app", env=env)
    assert (done.returncode, done.stdout) == (0, "s3cr3t")


def test_default_address_is_https_loopback_8200(clis):
    clis.set_state("vault", "sealed")
    done = vault(clis, "kv", "get", "-field=password", "secret/app", env=clis.env(VAULT_TOKEN="t"))
    assert done.stderr == api_error("sys/internal/ui/mounts/secret/app", 503, "Vault is sealed",
                                    addr="https://127.0.0.1:8200")


def test_address_flag_wins_over_vault_addr(clis):
    clis.set_state("vault", "unreachable")
    done = vault(clis, "kv", "get", "-address=http://127.0.0.1:18200", "-field=x", "secret/app")
    assert done.stderr == ('Get "http://127.0.0.1:18200/v1/sys/internal/ui/mounts/secret/app": '
                           "dial tcp 127.0.0.1:18200: connect: connection refused\n")


@pytest.mark.parametrize("state, code, error", [
    ("sealed", 503, "Vault is sealed"),
    ("token_missing", 403, "permission denied"),
    ("token_expired", 403, "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"),
])
def test_server_states_fail_the_preflight_with_exit_2(clis, state, code, error):
    clis.set_state("vault", state)
    done = vault(clis, "kv", "get", "-field=password", "secret/app")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == api_error("sys/internal/ui/mounts/secret/app", code, error)


def test_unreachable_server_is_a_connection_refused(clis):
    clis.set_state("vault", "unreachable")
    done = vault(clis, "kv", "get", "-field=password", "secret/app")
    assert (done.returncode, done.stderr) == (2, (
        f'Get "{ADDR}/v1/sys/internal/ui/mounts/secret/app": '
        "dial tcp 127.0.0.1:8200: connect: connection refused\n"))


def test_policy_without_access_and_unknown_mount(clis):
    clis.vault_deny("secret/app")
    expected = api_error("sys/internal/ui/mounts/secret/app", 403,
                         "preflight capability check returned 403, please ensure client's "
                         'policies grant access to path "secret/app/"')
    assert vault(clis, "kv", "get", "-field=password", "secret/app").stderr == expected
    unknown = vault(clis, "kv", "get", "-field=password", "nomount/app")
    assert unknown.returncode == 2
    assert 'grant access to path "nomount/app/"' in unknown.stderr
    clis.set_state("vault", "permission_denied")
    clis.vault_secret("secret/other", a="b")
    assert vault(clis, "kv", "get", "-field=a", "secret/other").returncode == 2


@pytest.mark.parametrize("args, message", [
    ([], "Not enough arguments (expected 1, got 0)"),
    (["secret/app", "-field=password"], "Too many arguments (expected 1, got 2)"),
    (["-bogus", "secret/app"], "flag provided but not defined: -bogus"),
    (["-field"], "flag needs an argument: -field"),
])
def test_usage_errors_exit_1(clis, args, message):
    done = vault(clis, "kv", "get", *args)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", message + "\n")


def test_token_lookup_succeeds_when_logged_in(clis):
    done = vault(clis, "token", "lookup")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[:2] == ["Key                 Value", "---                 -----"]
    assert "creation_ttl        768h" in lines and "policies            [default]" in lines
    as_json = json.loads(vault(clis, "token", "lookup", "-format=json").stdout)
    assert as_json["data"]["id"] == "t0k" and as_json["data"]["policies"] == ["default"]


@pytest.mark.parametrize("state, code, error", [
    ("token_missing", 403, "missing client token"),
    ("token_expired", 403, "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"),
    ("sealed", 503, "Vault is sealed"),
])
def test_token_lookup_failures_exit_2(clis, state, code, error):
    clis.set_state("vault", state)
    done = vault(clis, "token", "lookup")
    assert (done.returncode, done.stdout) == (2, "")
    expected = api_error("auth/token/lookup-self", code, error)
    assert done.stderr == "Error looking up token: " + expected


def test_token_lookup_without_any_token(clis):
    done = vault(clis, "token", "lookup", env=clis.env(VAULT_ADDR=ADDR, HOME=str(clis.home)))
    assert (done.returncode, done.stderr) == (2, "Error looking up token: " + api_error(
        "auth/token/lookup-self", 403, "missing client token"))


def test_token_lookup_ignores_the_policy_state(clis):
    clis.set_state("vault", "permission_denied")  # every token may look itself up
    assert vault(clis, "token", "lookup").returncode == 0


@pytest.mark.parametrize("args", [["version"], ["-version"], ["-v"], ["--version"]])
def test_version(clis, args):
    done = vault(clis, *args)
    assert done.returncode == 0
    assert re.fullmatch(r"Vault v1\.15\.2 \([0-9a-f]{40}\), built \S+\n", done.stdout)


def test_version_is_configurable(clis):
    clis.set("vault", version="1.17.3", revision="c" * 40, build_date="2024-08-16T14:17:11Z")
    expected = f"Vault v1.17.3 ({'c' * 40}), built 2024-08-16T14:17:11Z\n"
    assert vault(clis, "version").stdout == expected


def test_unknown_commands_say_they_are_not_emulated(clis):
    done = vault(clis, "kv", "put", "secret/app", "a=b")
    assert done.returncode == 64
    assert done.stderr.startswith("emb stand-in: ")


def test_every_call_is_recorded_with_argv_and_env_but_never_the_token(clis):
    env = clis.env(VAULT_ADDR=ADDR, VAULT_NAMESPACE="team-a", VAULT_TOKEN="hvs.very-secret")
    vault(clis, "kv", "get", "-field=password", "secret/app", env=env)
    vault(clis, "version", env=clis.env())
    first, second = clis.calls("vault")
    assert first["argv"] == ["kv", "get", "-field=password", "secret/app"]
    assert first["env"]["VAULT_ADDR"] == ADDR and first["env"]["VAULT_NAMESPACE"] == "team-a"
    assert first["env"]["VAULT_TOKEN"] is True
    assert second["env"]["VAULT_TOKEN"] is False and second["env"]["VAULT_ADDR"] is None
    assert "very-secret" not in clis.log.read_text()
    assert clis.calls("op") == []


def test_concurrent_calls_each_leave_one_whole_line(clis):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: vault(clis, "kv", "get", "-field=password",
                                                "secret/app"), range(16)))
    assert {r.stdout for r in results} == {"s3cr3t"}
    assert len(clis.calls("vault")) == 16


def test_delay_holds_the_answer(clis):
    clis.set_state("vault", "ok", delay=0.6)
    start = time.monotonic()
    done = vault(clis, "kv", "get", "-field=password", "secret/app")
    assert done.stdout == "s3cr3t"
    assert time.monotonic() - start >= 0.6


def test_a_call_killed_during_its_delay_is_still_recorded(clis):
    clis.set_state("vault", "ok", delay=60)
    proc = subprocess.Popen(["vault", "kv", "get", "-field=password", "secret/app"],
                            env=clis.env(VAULT_TOKEN="t"), stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not clis.calls("vault") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert clis.calls("vault")[0]["argv"][-1] == "secret/app"
        assert proc.poll() is None  # still waiting out its delay
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.stdout.read() == b""
