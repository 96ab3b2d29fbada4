"""`emb secrets`, `emb secrets validate`, `emb secrets providers`, and the errors of a
run that needs a secret, end to end: emb as a subprocess, the `vault` and `op` CLIs
replaced by the recording stand-ins of tests/standins (answers and exit codes from
the real CLIs' documentation and source, cited in each stand-in's header)."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.helpers import emb_env, run_emb, write_tree

ADDR = "http://127.0.0.1:8200"
PASSWORD = "pw-6c1f0e-secret"
STRIPE = "sk-live-93ab7d"

CONFIG = """\
project: {name: secretscli}
plugins:
  - name: dotenv
    config: [.env]
  - name: vault
  - name: op
tasks:
  migrate:
    vars:
      DB_PASSWORD: ${vault:secret/prod/db#password}
    script: test -n "$DB_PASSWORD" && echo migrated
  charge:
    vars:
      STRIPE_KEY: ${op:Prod/Stripe#api-key}
    script: test -n "$STRIPE_KEY" && echo charged
components:
  api:
    rootDir: api
    tasks:
      seed:
        vars: {DB: "${vault:secret/prod/db#password}", USER: "${vault:secret/prod/db#user}"}
        script: echo seeded
"""


@pytest.fixture
def repo(tmp_path, secret_clis):
    root = write_tree(tmp_path / "repo", {".emb.yml": CONFIG, "api/.keep": ""})
    secret_clis.vault_secret("secret/prod/db", password=PASSWORD, user="app")
    secret_clis.op_item("Prod", "Stripe", **{"api-key": STRIPE})
    return root


def env(clis, **extra):
    return clis.env(emb_env(), **{"VAULT_ADDR": ADDR, "VAULT_TOKEN": "hvs.t", **extra})


def emb(root, clis, *args, **extra):
    done = run_emb(*args, cwd=root, env=env(clis, **extra))
    assert PASSWORD not in done.stdout + done.stderr and STRIPE not in done.stdout + done.stderr
    return done


def error_lines(done) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("emb: error:")]


def test_list_as_json_reads_nothing(repo, secret_clis):
    done = emb(repo, secret_clis, "secrets", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"provider": "vault", "path": "secret/prod/db", "key": "password", "component": None,
         "usageCount": 1, "usedIn": ["tasks.migrate.vars.DB_PASSWORD"]},
        {"provider": "op", "path": "Prod/Stripe", "key": "api-key", "component": None,
         "usageCount": 1, "usedIn": ["tasks.charge.vars.STRIPE_KEY"]},
        {"provider": "vault", "path": "secret/prod/db", "key": "password", "component": "api",
         "usageCount": 1, "usedIn": ["components.api.tasks.seed.vars.DB"]},
        {"provider": "vault", "path": "secret/prod/db", "key": "user", "component": "api",
         "usageCount": 1, "usedIn": ["components.api.tasks.seed.vars.USER"]},
    ]
    assert secret_clis.calls() == []


def test_validate_json_and_exit_status(repo, secret_clis):
    secret_clis.set_state("op", "signed_out")
    done = emb(repo, secret_clis, "secrets", "validate", "--json")
    assert done.returncode == 1
    results = json.loads(done.stdout)
    assert [(r["provider"], r["key"], r["status"]) for r in results] == [
        ("vault", "password", "ok"), ("op", "api-key", "error"), ("vault", "user", "ok")]
    assert results[1]["kind"] == "not_logged_in"
    assert any(h.startswith("sign in: op signin") for h in results[1]["hints"])
    # secret/prod/db#password is used twice and read once
    assert [c["argv"][-1] for c in secret_clis.calls("vault")] == ["secret/prod/db", "secret/prod/db"]


def test_validate_fail_fast_stops_at_the_first_failure(repo, secret_clis):
    secret_clis.set_state("vault", "sealed")
    done = emb(repo, secret_clis, "secrets", "validate", "--fail-fast")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"✖ vault secret/prod/db#password: Vault at {ADDR} is sealed (reading ${{vault:secret/prod/db#password}})")
    assert done.stdout.splitlines()[-1] == "0 of 3 secrets readable, 1 failed, 2 not checked (--fail-fast)"
    assert secret_clis.calls("op") == []


def test_providers(repo, secret_clis):
    secret_clis.set_state("op", "signed_out")
    done = emb(repo, secret_clis, "secrets", "providers", "--json")
    assert done.returncode == 0, done.stderr
    vault, op = json.loads(done.stdout)
    assert (vault["name"], vault["status"], vault["installed"], vault["loggedIn"]) == ("vault", "connected", True, True)
    assert (op["name"], op["status"], op["installed"], op["loggedIn"]) == ("op", "not_logged_in", True, False)
    assert (vault["type"], op["type"]) == ("VaultProvider", "OnePasswordProvider")  # EMB 0.30's names
    assert "hvs.t" not in done.stdout  # `vault token lookup` prints the token: never shown
    assert [c["argv"] for c in secret_clis.calls()] == [["token", "lookup"], ["whoami"]]


def test_providers_without_the_clis_installed(repo, secret_clis):
    done = run_emb("secrets", "providers", cwd=repo, env=env(secret_clis, PATH="/nonexistent"))
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    assert [(r[0], r[2], r[3]) for r in rows] == [("vault", "no", "no"), ("op", "no", "no")]


@pytest.mark.parametrize("cli, state, task, message, hint", [
    ("vault", "token_missing", "migrate",
     f"not logged in to Vault at {ADDR}: no valid token (reading ${{vault:secret/prod/db#password}})",
     "log in: vault login"),
    ("vault", "token_expired", "migrate",
     f"not logged in to Vault at {ADDR}: the token is invalid or expired (reading ${{vault:secret/prod/db#password}})",
     "log in: vault login"),
    ("vault", "sealed", "migrate",
     f"Vault at {ADDR} is sealed (reading ${{vault:secret/prod/db#password}})", "check with: vault status"),
    ("vault", "permission_denied", "migrate",
     f"permission denied: Vault at {ADDR} does not let this token read secret/prod/db "
     "(reading ${vault:secret/prod/db#password})", None),
    ("op", "signed_out", "charge", "not signed in to 1Password (reading ${op:Prod/Stripe#api-key})",
     "sign in: op signin  (in a shell: eval $(op signin))"),
    ("op", "forbidden", "charge", "permission denied by 1Password (reading ${op:Prod/Stripe#api-key})", None),
    ("op", "unreachable", "charge", "cannot reach 1Password (reading ${op:Prod/Stripe#api-key})", None),
])
def test_a_task_that_cannot_get_its_secret_does_not_start(repo, secret_clis, cli, state, task, message, hint):
    secret_clis.set_state(cli, state)
    done = emb(repo, secret_clis, "run", task)
    assert done.returncode == 125
    assert error_lines(done) == [f"emb: error: {message}"]
    if hint:
        assert f"  hint: {hint}" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr and "migrated" not in done.stdout and "charged" not in done.stdout


def test_not_found_errors_name_what_is_missing(repo, secret_clis):
    write_tree(repo, {".emb.yml": CONFIG.replace("secret/prod/db#password}", "secret/prod/db#passwd}")
                      .replace("Prod/Stripe#api-key", "Prod/Strip#api-key")})
    done = emb(repo, secret_clis, "run", "migrate")
    assert done.returncode == 125
    assert error_lines(done) == [f"emb: error: secret secret/prod/db in Vault at {ADDR} has no key 'passwd' "
                                 "(reading ${vault:secret/prod/db#passwd})"]
    done = emb(repo, secret_clis, "run", "charge")
    assert error_lines(done) == ["emb: error: no item 'Strip' in 1Password vault 'Prod' "
                                 "(reading ${op:Prod/Strip#api-key})"]


def test_the_vault_cli_not_installed(repo, secret_clis):
    done = run_emb("run", "migrate", cwd=repo, env=env(secret_clis, PATH="/usr/bin:/bin"))
    assert done.returncode == 125
    assert error_lines(done) == ["emb: error: the vault CLI is not installed (reading ${vault:secret/prod/db#password})"]


def test_a_repository_dotenv_cannot_redirect_vault(repo, secret_clis):
    """.env is the repository's: it reaches the task, but never chooses the server the
    user's token goes to (nor the token)."""
    write_tree(repo, {".env": "VAULT_ADDR=http://127.0.0.1:9/evil\nVAULT_TOKEN=from-repo\n"})
    done = emb(repo, secret_clis, "run", "migrate")
    assert done.returncode == 0, done.stderr
    [call] = secret_clis.calls("vault")
    assert call["env"]["VAULT_ADDR"] == ADDR


def test_a_slow_vault_is_stopped(repo, secret_clis):
    secret_clis.set_state("vault", "ok", delay=30)
    started = time.monotonic()
    done = emb(repo, secret_clis, "run", "migrate", EMB_SECRET_TIMEOUT="0.5")
    assert time.monotonic() - started < 15
    assert done.returncode == 125
    assert error_lines(done) == [f"emb: error: Vault at {ADDR} did not answer within 0.5s "
                                 "(reading ${vault:secret/prod/db#password})"]
    [call] = secret_clis.calls("vault")
    with pytest.raises(ProcessLookupError):  # the stand-in was stopped, not left behind
        os.kill(call["pid"], 0)


def test_a_real_run_with_json_shows_no_secret(repo, secret_clis):
    done = emb(repo, secret_clis, "run", "migrate", "--json")
    assert done.returncode == 0, done.stderr
    assert "migrated" in done.stdout
