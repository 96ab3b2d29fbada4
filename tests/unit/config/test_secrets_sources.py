"""The vault/op plugins inside a configuration load: registered as expansion sources,
read lazily (at use), once, never for display; references listed without reading;
secrets in scripts turned into environment variables."""

from __future__ import annotations

import pytest

from emb import launch, redact
from emb.config.secrets import SecretError, check, entries, scan, secrets_of
from emb.config.values import display_document, resolve_task
from emb.errors import ConfigError

ADDR = "http://127.0.0.1:8200"

CONFIG = """\
project: {name: demo}
plugins:
  - name: vault
  - name: op
    config: {account: acme}
vars:
  dbpass: ${vault:secret/db#password}
tasks:
  migrate:
    vars:
      DB: ${vars:dbpass}
      KEY: ${op:Prod/Stripe#key}
      DSN: postgres://app:${vault:secret/db#password}@db/app
      SAFE: ${vault:secret/missing#x:-fallback}
      LITERAL: \\${vault:not/a#reference}
    script: |
      curl -H "Authorization: ${op:Prod/Stripe#key}" "$URL"
      echo ${HOME} ${vault:secret/db#password}
  plain:
    script: echo plain
components:
  api:
    rootDir: .
    tasks:
      seed:
        script: "echo ${vault:secret/api#token}"
"""


@pytest.fixture
def clis(secret_clis, monkeypatch):
    monkeypatch.setenv("EMB_STANDIN_LOG", str(secret_clis.log))
    monkeypatch.setenv("EMB_STANDIN_DATA", str(secret_clis.data_path))
    launch.reset()
    launch.capture(secret_clis.env(VAULT_ADDR=ADDR, VAULT_TOKEN="t0ken"))
    redact.forget_all()
    secret_clis.vault_secret("secret/db", password="db-pw-1")
    secret_clis.vault_secret("secret/api", token="api-tok-2")
    secret_clis.op_item("Prod", "Stripe", key="sk-3")
    yield secret_clis
    launch.reset()
    redact.forget_all()


@pytest.fixture
def monorepo(repo, clis):
    repo.write({".emb.yml": CONFIG})
    return repo.load()


def test_loading_and_listing_read_nothing(monorepo, clis):
    assert set(monorepo.tasks) == {"migrate", "plain", "api:seed"}
    found = entries(monorepo.resolved)
    assert [(e.provider, e.path, e.key, e.component) for e in found] == [
        ("vault", "secret/db", "password", None),
        ("op", "Prod/Stripe", "key", None),
        ("vault", "secret/missing", "x", None),
        ("vault", "secret/api", "token", "api"),
    ]
    db = found[0].record()
    assert db["usageCount"] == 3 and db["usedIn"] == [
        "vars.dbpass", "tasks.migrate.vars.DSN", "tasks.migrate.script"]
    assert display_document(monorepo)["tasks"]["migrate"]["vars"]["KEY"] == "${op:Prod/Stripe#key}"
    assert clis.calls() == []


def test_a_task_is_resolved_with_each_secret_read_once(monorepo, clis):
    task = resolve_task(monorepo, monorepo.tasks["migrate"])
    assert task.vars["DB"] == "db-pw-1"
    assert task.vars["KEY"] == "sk-3"
    assert task.vars["DSN"] == "postgres://app:db-pw-1@db/app"
    assert task.vars["SAFE"] == "fallback"  # the secret is missing: the fallback is used
    assert task.vars["LITERAL"] == "${vault:not/a#reference}"
    # The script names variables; their values are in the task's environment.
    assert task.script == ('curl -H "Authorization: ${EMB_SECRET_1}" "$URL"\n'
                           'echo ${HOME} ${EMB_SECRET_2}\n')
    assert task.vars["EMB_SECRET_1"] == "sk-3" and task.vars["EMB_SECRET_2"] == "db-pw-1"
    argvs = [c["argv"] for c in clis.calls()]
    assert argvs == [
        ["kv", "get", "-field=password", "secret/db"],
        ["read", "op://Prod/Stripe/key", "--account", "acme"],
        ["kv", "get", "-field=x", "secret/missing"],
    ]
    assert redact.mask("db-pw-1 sk-3") == "*** ***"


def test_a_task_without_secrets_reads_none(monorepo, clis):
    assert resolve_task(monorepo, monorepo.tasks["plain"]).script == "echo plain"
    assert clis.calls() == []


def test_masked_mode_gives_stars_and_reads_nothing(monorepo, clis):
    secrets_of(monorepo).masked = True
    task = resolve_task(monorepo, monorepo.tasks["migrate"])
    assert task.vars["DB"] == "***" and task.vars["EMB_SECRET_1"] == "***"
    assert clis.calls() == []


def test_a_failure_reaches_the_caller_as_exit_125(monorepo, clis):
    clis.set_state("vault", "sealed")
    with pytest.raises(SecretError) as info:
        resolve_task(monorepo, monorepo.tasks["api:seed"])
    assert info.value.exit_code == 125 and "is sealed" in info.value.message


def test_check_reports_without_the_value(monorepo, clis):
    sources = secrets_of(monorepo)
    results = [check(sources, e) for e in entries(monorepo.resolved)]
    assert [r.ok for r in results] == [True, True, False, True]
    records = [r.record() for r in results]
    assert records[2]["status"] == "error" and records[2]["kind"] == "not_found"
    assert "db-pw-1" not in repr(records) and "sk-3" not in repr(records)


def test_a_reference_to_an_unconfigured_provider(repo, clis):
    repo.write({".emb.yml": "project: {name: demo}\ntasks:\n"
                            "  t: {script: 'echo $X', vars: {X: '${vault:secret/db#password}'}}\n"})
    monorepo = repo.load()
    with pytest.raises(ConfigError) as info:
        resolve_task(monorepo, monorepo.tasks["t"])
    assert "unknown source 'vault'" in info.value.message
    [entry] = entries(monorepo.resolved)
    assert check(secrets_of(monorepo), entry).error.message.endswith(
        "needs the vault plugin, which is not configured")


def test_scan_skips_escaped_references_and_keeps_fallbacks_out_of_the_body():
    found = list(scan({"a": ["x ${vault:s/p#k:-d} \\${vault:no/t#x} ${op:V/I#f}"]}))
    assert [(u.provider, u.body, u.where) for u in found] == [("vault", "s/p#k", "a.0"), ("op", "V/I#f", "a.0")]
