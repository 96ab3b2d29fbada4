"""SPEC §7 "Must hold": no secret value in any file under .emb/, in what --dry-run,
config print and --json print, or in the argv of any process emb starts (read from
/proc while the task runs); the task still gets every value in its environment.

The `vault` and `op` CLIs are the recording stand-ins of tests/standins (the real
ones cannot be installed here); everything else is real: emb as a subprocess, sh.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import emb_env, run_emb, write_tree

# Values chosen to be unmistakable in any output, with characters a shell would mangle.
DB_PASSWORD = "db-Pw$(id)'\"` 7f3a9c"
API_TOKEN = "api-tok-51c0e2 with spaces"
OP_KEY = "op-key-88d1b4\\n*"
PROJECT_PASSWORD = "proj-pass-2b9e77"
TOKEN = "hvs.vault-token-e4a1d6"  # the Vault token: never on a command line either
VALUES = (DB_PASSWORD, API_TOKEN, OP_KEY, PROJECT_PASSWORD, TOKEN)

CONFIG = """\
project: {name: secretsdemo}
plugins:
  - name: vault
  - name: op
vars:
  dbpass: ${vault:secret/prod/db#password}
tasks:
  use:
    description: Gets the secrets in its environment
    vars:
      DB_PASSWORD: ${vars:dbpass}
      OP_KEY: ${op:Prod/Stripe#api-key}
      PROJECT_PASSWORD: ${vault:secret/prod/project#password}
    script: |
      printf %s "$DB_PASSWORD" > "$OUT/db"
      printf %s "$OP_KEY" > "$OUT/op"
      printf %s "$PROJECT_PASSWORD" > "$OUT/project"
      printf %s "${vault:secret/prod/api#token}" > "$OUT/inline"
      echo "task ran"
      : > "$OUT/ready"
      while [ ! -e "$OUT/go" ]; do sleep 0.05; done
  unrelated:
    script: echo unrelated ran
"""


@pytest.fixture
def monorepo(tmp_path, secret_clis):
    root = write_tree(tmp_path / "repo", {".emb.yml": CONFIG})
    secret_clis.vault_secret("secret/prod/db", password=DB_PASSWORD)
    secret_clis.vault_secret("secret/prod/api", token=API_TOKEN)
    secret_clis.vault_secret("secret/prod/project", password=PROJECT_PASSWORD)
    secret_clis.op_item("Prod", "Stripe", **{"api-key": OP_KEY})
    out = tmp_path / "out"
    out.mkdir()
    env = secret_clis.env(emb_env(), VAULT_ADDR="http://127.0.0.1:8200", VAULT_TOKEN=TOKEN, OUT=str(out))
    return root, out, env


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [v for v in VALUES if v.encode() in data]


def emb_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in (root / ".emb").rglob("*") if p.is_file()}


def cmdlines() -> dict[int, bytes]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                pass
    return found


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"emb ended ({proc.returncode}) before the task was ready: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the task never wrote {path}")
        time.sleep(0.02)


def test_a_run_gives_the_task_its_secrets_and_shows_or_writes_none(monorepo, secret_clis):
    root, out, env = monorepo
    proc = subprocess.Popen([sys.executable, "-m", "emb", "run", "use"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(out / "ready", proc)
        during = cmdlines()  # emb, sh and everything they started, while the task runs
    finally:
        (out / "go").touch()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert b"task ran" in stdout

    # The task got every value, byte for byte, through its environment.
    assert (out / "db").read_text() == DB_PASSWORD
    assert (out / "op").read_text() == OP_KEY
    assert (out / "project").read_text() == PROJECT_PASSWORD
    assert (out / "inline").read_text() == API_TOKEN

    assert any(b"emb\x00run\x00use" in c for c in during.values())  # the scan saw emb itself
    assert {pid: c for pid, c in during.items() if leaks(c)} == {}
    assert leaks(stdout + stderr) == []
    files = emb_files(root)
    assert files, "the run wrote its log under .emb/"
    assert {name: leaks(data) for name, data in files.items() if leaks(data)} == {}

    # Each secret read once, through the CLIs, none on their command lines either.
    argvs = [(c["cli"], c["argv"]) for c in secret_clis.calls()]
    assert sorted(argvs) == sorted([
        ("vault", ["kv", "get", "-field=password", "secret/prod/db"]),
        ("vault", ["kv", "get", "-field=password", "secret/prod/project"]),
        ("vault", ["kv", "get", "-field=token", "secret/prod/api"]),
        ("op", ["read", "op://Prod/Stripe/api-key"]),
    ])
    assert all(c["env"]["VAULT_TOKEN"] for c in secret_clis.calls("vault"))


@pytest.mark.parametrize("args", [
    ["run", "use", "--dry-run"],
    ["run", "use", "--dry-run", "--json"],
    ["config", "print"],
    ["config", "print", "--json"],
    ["tasks"],
    ["tasks", "--json"],
    ["secrets"],
    ["secrets", "--json"],
])
def test_showing_the_configuration_reads_and_shows_no_secret(monorepo, secret_clis, args):
    root, out, env = monorepo
    done = run_emb(*args, cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert leaks(done.stdout + done.stderr) == []
    assert secret_clis.calls() == []  # lazy: nothing needed a value
    assert {name: leaks(data) for name, data in emb_files(root).items() if leaks(data)} == {}
    assert not (out / "db").exists()


def test_dry_run_shows_stars_where_a_secret_goes(monorepo):
    root, _, env = monorepo
    done = run_emb("run", "use", "--dry-run", "--json", cwd=root, env=env)
    [task] = json.loads(done.stdout)["tasks"]
    text = json.dumps(task)
    assert "***" in text and "${EMB_SECRET_1}" in text  # the script names a variable, not the value


def test_validate_reads_each_secret_once_and_prints_no_value(monorepo, secret_clis):
    root, _, env = monorepo
    done = run_emb("secrets", "validate", cwd=root, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert leaks(done.stdout + done.stderr) == []
    assert "✔ vault secret/prod/db#password" in done.stdout
    assert "✔ op Prod/Stripe#api-key" in done.stdout
    assert "4 of 4 secrets readable" in done.stdout
    assert len(secret_clis.calls()) == 4


def test_an_unreachable_vault_breaks_only_what_needs_it(monorepo, secret_clis):
    root, out, env = monorepo
    secret_clis.set_state("vault", "unreachable")
    assert run_emb("tasks", cwd=root, env=env).returncode == 0
    assert run_emb("config", "print", cwd=root, env=env).returncode == 0
    other = run_emb("run", "unrelated", cwd=root, env=env)
    assert other.returncode == 0 and "unrelated ran" in other.stdout
    assert secret_clis.calls() == []

    done = run_emb("run", "use", cwd=root, env=env)
    assert done.returncode == 125
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("emb: error:")]
    assert errors == ["emb: error: cannot reach Vault at http://127.0.0.1:8200 "
                      "(reading ${vault:secret/prod/db#password})"], done.stderr
    assert any("connection refused" in line for line in lines)
    assert not (out / "db").exists()  # nothing ran
    assert len(secret_clis.calls("vault")) == 1  # one failure stops the provider's other reads


def test_a_secret_in_the_env_block_is_masked_in_config_print(tmp_path, secret_clis):
    """The `env:` block is expanded at load (it is exported into emb's environment), so a
    secret there is read at load; what prints it shows ***."""
    root = write_tree(tmp_path / "repo", {".emb.yml": """\
        project: {name: envsecret}
        plugins: [{name: vault}]
        env:
          DATABASE_URL: postgres://app:${vault:secret/prod/db#password}@db/app
        tasks:
          show: {script: 'test "$DATABASE_URL" = "postgres://app:$EXPECTED@db/app" && echo same'}
        """})
    secret_clis.vault_secret("secret/prod/db", password=DB_PASSWORD)
    env = secret_clis.env(emb_env(), VAULT_ADDR="http://127.0.0.1:8200", VAULT_TOKEN=TOKEN, EXPECTED=DB_PASSWORD)
    for args in (["config", "print"], ["config", "print", "--json"]):
        done = run_emb(*args, cwd=root, env=env)
        assert done.returncode == 0, done.stderr
        assert leaks(done.stdout + done.stderr) == []
        assert "postgres://app:***@db/app" in done.stdout
    done = run_emb("run", "show", cwd=root, env=env)
    assert done.returncode == 0 and "same" in done.stdout, done.stderr
    assert {name: leaks(data) for name, data in emb_files(root).items() if leaks(data)} == {}


def test_a_secret_the_task_prints_is_its_own_output_but_not_kept_in_its_log(tmp_path, secret_clis):
    root = write_tree(tmp_path / "repo", {".emb.yml": """\
        project: {name: echoes}
        plugins: [{name: vault}, {name: op}]
        tasks:
          echo:
            vars: {DB: "${vault:secret/prod/db#password}", KEY: "${op:Prod/Stripe#api-key}"}
            script: 'echo "db=$DB"; echo "key=$KEY" >&2'
        """})
    secret_clis.vault_secret("secret/prod/db", password=DB_PASSWORD)
    secret_clis.op_item("Prod", "Stripe", **{"api-key": OP_KEY})
    env = secret_clis.env(emb_env(), VAULT_ADDR="http://127.0.0.1:8200", VAULT_TOKEN=TOKEN)
    done = run_emb("run", "echo", cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert f"db={DB_PASSWORD}" in done.stdout and f"key={OP_KEY}" in done.stderr  # the task's own output
    files = emb_files(root)
    [log] = [p.read_bytes() for p in (root / ".emb").rglob("*.log") if p.is_file() and not p.is_symlink()]
    assert b"db=***" in log and b"key=***" in log
    assert {name: leaks(data) for name, data in files.items() if leaks(data)} == {}
