"""The vault provider against the recording `vault` stand-in (tests/standins/vault, whose
header cites where each answer of the real CLI comes from)."""

from __future__ import annotations

import os

import pytest

from emb import launch, redact
from emb.config.secrets import (NOT_CONFIGURED, NOT_FOUND, NOT_INSTALLED, NOT_LOGGED_IN, PERMISSION_DENIED,
                                SEALED, TIMEOUT, UNREACHABLE, Reference, SecretError, SecretSources)
from emb.config.secrets.vault import Vault
from emb.errors import EXIT_CANNOT_START, ConfigError

ADDR = "http://127.0.0.1:8200"
TOKEN = "hvs.standin-token-7Qx"


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


def vault(clis, config=None, **env) -> Vault:
    env = {"VAULT_ADDR": ADDR, "VAULT_TOKEN": TOKEN, **env}
    return Vault(config or {}, launched(clis.env(**{k: v for k, v in env.items() if v is not None})))


def read(provider: Vault, body: str) -> str:
    return provider.read(provider.parse(body))


def failure(provider: Vault, body: str) -> SecretError:
    with pytest.raises(SecretError) as info:
        read(provider, body)
    assert info.value.exit_code == EXIT_CANNOT_START
    return info.value


def test_reads_a_field_with_kv_get_and_the_token_in_the_environment_only(clis):
    clis.vault_secret("secret/prod/db", password="s3cr3t value\n", user="app")
    assert read(vault(clis), "secret/prod/db#password") == "s3cr3t value\n"  # byte for byte
    [call] = clis.calls("vault")
    assert call["argv"] == ["kv", "get", "-field=password", "secret/prod/db"]
    assert call["env"]["VAULT_ADDR"] == ADDR and call["env"]["VAULT_TOKEN"] is True
    assert TOKEN not in " ".join(call["argv"])


def test_kv_v1_mount(clis):
    clis.vault_mount("kv", 1)
    clis.vault_secret("kv/app", api_key="k-123")
    assert read(vault(clis), "kv/app#api_key") == "k-123"


def test_plugin_config_wins_over_the_launch_environment_and_its_token_is_redacted(clis):
    clis.vault_secret("secret/app", password="pw-1")
    provider = vault(clis, {"address": "http://127.0.0.1:8300", "namespace": "team-a",
                            "auth": {"method": "token", "token": "cfg-token-123"}},
                     VAULT_TOKEN=None, VAULT_NAMESPACE="ignored")
    assert read(provider, "secret/app#password") == "pw-1"
    [call] = clis.calls("vault")
    assert call["env"]["VAULT_ADDR"] == "http://127.0.0.1:8300"
    assert call["env"]["VAULT_NAMESPACE"] == "team-a"
    assert call["env"]["VAULT_TOKEN"] is True
    assert redact.mask("token cfg-token-123") == "token ***"


def test_vault_variables_come_from_the_launch_environment_not_from_emb_s_current_one(clis, monkeypatch):
    """A repository's .env / env: block ends up in os.environ; it must not pick the server."""
    clis.vault_secret("secret/app", password="pw")
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:9999")  # as if from a hostile .env
    monkeypatch.setenv("VAULT_FORMAT", "json")
    monkeypatch.setenv("VAULT_TOKEN", "from-dotenv")
    assert failure(vault(clis, VAULT_TOKEN=None, HOME="/nonexistent"), "secret/app#password").kind == NOT_LOGGED_IN
    call = clis.calls("vault")[0]
    assert call["env"]["VAULT_ADDR"] == ADDR
    assert not call["env"]["VAULT_FORMAT"]
    # and the .env token was not used: without a launch token, vault is not logged in (above)


def test_home_vault_token_counts_as_the_cli_s_own_login(clis, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".vault-token").write_text("hvs.from-vault-login")
    clis.vault_secret("secret/app", password="pw")
    assert read(vault(clis, VAULT_TOKEN=None, HOME=str(home)), "secret/app#password") == "pw"


@pytest.mark.parametrize("body, hint", [
    ("secret/app", "${vault:secret/prod/db#password}"),
    ("#password", "${vault:secret/prod/db#password}"),
    ("secret/app#", "${vault:secret/prod/db#password}"),
    ("-address=http://evil#password", "${vault:secret/prod/db#password}"),
])
def test_malformed_references_are_config_errors_and_run_nothing(clis, body, hint):
    with pytest.raises(ConfigError) as info:
        vault(clis).parse(body)
    assert body in info.value.message and hint in info.value.hints[0]
    assert clis.calls() == []


def test_not_installed(clis, tmp_path):
    provider = Vault({}, launched({"VAULT_ADDR": ADDR, "PATH": str(tmp_path)}))
    err = failure(provider, "secret/app#password")
    assert err.kind == NOT_INSTALLED
    assert err.message == "the vault CLI is not installed (reading ${vault:secret/app#password})"


def test_no_address(clis):
    err = failure(vault(clis, VAULT_ADDR=None), "secret/app#password")
    assert err.kind == NOT_CONFIGURED and "VAULT_ADDR is not set" in err.message
    assert clis.calls() == []


@pytest.mark.parametrize("state", ["token_missing", "token_expired"])
def test_not_logged_in_says_vault_login(clis, state):
    clis.vault_secret("secret/app", password="pw")
    clis.set_state("vault", state)
    err = failure(vault(clis), "secret/app#password")
    assert err.kind == NOT_LOGGED_IN
    assert err.message.startswith(f"not logged in to Vault at {ADDR}")
    assert "log in: vault login" in err.hints


def test_no_token_at_all_is_not_logged_in(clis, tmp_path):
    clis.vault_secret("secret/app", password="pw")
    err = failure(vault(clis, VAULT_TOKEN=None, HOME=str(tmp_path)), "secret/app#password")
    assert err.kind == NOT_LOGGED_IN and "log in: vault login" in err.hints
    # kv get answered a bare "permission denied"; one token lookup told the two apart
    assert [c["argv"][:2] for c in clis.calls("vault")] == [["kv", "get"], ["token", "lookup"]]


def test_permission_denied(clis):
    clis.vault_secret("secret/private", password="pw")
    clis.vault_deny("secret/private")
    err = failure(vault(clis), "secret/private#password")
    assert err.kind == PERMISSION_DENIED
    assert err.message.startswith(f"permission denied: Vault at {ADDR} does not let this token read secret/private")


def test_sealed(clis):
    clis.set_state("vault", "sealed")
    err = failure(vault(clis), "secret/app#password")
    assert err.kind == SEALED and err.message == f"Vault at {ADDR} is sealed (reading ${{vault:secret/app#password}})"


def test_unreachable_shows_what_vault_said(clis):
    clis.set_state("vault", "unreachable")
    err = failure(vault(clis), "secret/app#password")
    assert err.kind == UNREACHABLE and err.message.startswith(f"cannot reach Vault at {ADDR}")
    assert "connection refused" in err.hints[0]


def test_path_not_found(clis):
    err = failure(vault(clis), "secret/nope#password")
    assert err.kind == NOT_FOUND and err.message.startswith(f"no secret at secret/nope in Vault at {ADDR}")


def test_deleted_version(clis):
    clis.vault_secret("secret/gone", deleted=True)
    err = failure(vault(clis), "secret/gone#password")
    assert err.kind == NOT_FOUND and "has no current version (deleted)" in err.message


def test_key_not_found(clis):
    clis.vault_secret("secret/app", password="pw")
    err = failure(vault(clis), "secret/app#passwd")
    assert err.kind == NOT_FOUND and err.message.startswith(f"secret secret/app in Vault at {ADDR} has no key 'passwd'")


def test_a_slow_vault_is_bounded_in_time(clis):
    clis.set_state("vault", "ok", delay=5)
    err = failure(vault(clis, EMB_SECRET_TIMEOUT="0.3"), "secret/app#password")
    assert err.kind == TIMEOUT and "did not answer within 0.3s" in err.message


def test_status_logged_in_never_shows_the_token(clis):
    status = vault(clis).status()
    assert status.installed and status.logged_in
    assert status.detail == f"{ADDR}, token from VAULT_TOKEN"
    assert TOKEN not in repr(status)
    assert clis.calls("vault")[0]["argv"] == ["token", "lookup"]


def test_status_not_logged_in(clis):
    clis.set_state("vault", "token_missing")
    status = vault(clis).status()
    assert status.installed and not status.logged_in and "not logged in" in status.detail


def test_status_not_installed(clis, tmp_path):
    status = Vault({}, launched({"VAULT_ADDR": ADDR, "PATH": str(tmp_path)})).status()
    assert not status.installed and not status.logged_in


def test_sources_read_each_secret_once_and_register_it_before_returning(clis):
    clis.vault_secret("secret/app", password="pw-once", user="u-once")
    sources = SecretSources()
    sources.configure("vault", {}, launched(clis.env(VAULT_ADDR=ADDR, VAULT_TOKEN=TOKEN)))
    source = sources.reader("vault")
    assert source("secret/app#password") == "pw-once"
    assert source("secret/app#password") == "pw-once"
    assert source("secret/app#user") == "u-once"
    assert [c["argv"][2] for c in clis.calls("vault")] == ["-field=password", "-field=user"]
    assert redact.mask("pw-once / u-once") == "*** / ***"


def test_sources_remember_failures_and_a_provider_wide_one_stops_further_calls(clis):
    clis.set_state("vault", "unreachable")
    sources = SecretSources()
    sources.configure("vault", {}, launched(clis.env(VAULT_ADDR=ADDR, VAULT_TOKEN=TOKEN)))
    for body in ("secret/a#x", "secret/a#x", "secret/b#y"):
        with pytest.raises(SecretError) as info:
            sources.expand("vault", body)
        assert info.value.kind == UNREACHABLE
        assert info.value.message == f"cannot reach Vault at {ADDR} (reading ${{vault:{body}}})"
    assert len(clis.calls("vault")) == 1


def test_masked_mode_reads_nothing(clis):
    sources = SecretSources()
    sources.configure("vault", {}, launched(clis.env(VAULT_ADDR=ADDR)))
    sources.masked = True
    assert sources.expand("vault", "secret/app#password") == "***"
    assert clis.calls() == []


def test_a_reference_without_its_plugin(clis):
    with pytest.raises(ConfigError) as info:
        SecretSources().read(Reference("vault", "secret/app", "password"))
    assert "needs the vault plugin, which is not configured" in info.value.message


def test_the_cli_environment_holds_even_when_laid_over_emb_s_current_one(clis, monkeypatch):
    """The process layer may run a tool with os.environ + the given environment: what the
    repository added (VAULT_TOKEN, VAULT_CACERT from a .env) must be emptied, not just absent."""
    monkeypatch.setenv("VAULT_TOKEN", "from-dotenv")
    monkeypatch.setenv("VAULT_CACERT", "/repo/evil-ca.pem")
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:9999")
    overlaid = {**os.environ, **vault(clis, VAULT_TOKEN=None).env()}
    assert overlaid["VAULT_ADDR"] == ADDR
    assert overlaid["VAULT_TOKEN"] == "" and overlaid["VAULT_CACERT"] == ""
    assert overlaid["PATH"].startswith(str(clis.bin))
