"""Recording stand-ins for the `vault` and `op` CLIs, and the `secret_clis` fixture.

Neither a Vault server nor the 1Password CLI can be installed here, so emb's
secret providers are tested against two scripts (`vault`, `op` beside this
file) that answer as the real CLIs do and record every call. See README.md for
the data file, the states and where each wording comes from.

    def test_x(secret_clis):
        secret_clis.vault_secret("secret/app", password="s3cr3t")
        secret_clis.op_item("Prod", "db", password="pw")
        secret_clis.set_state("vault", "sealed")
        done = subprocess.run([...], env=secret_clis.env(VAULT_TOKEN="t"))
        assert secret_clis.calls("vault")[0]["argv"] == [...]
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CLIS = ("vault", "op")
VAULT_STATES = (
    "ok", "token_missing", "token_expired", "permission_denied", "sealed", "unreachable")
OP_STATES = ("ok", "signed_out", "forbidden", "unreachable")

# Host settings that would leak into a test (a developer's real Vault address,
# token or 1Password session) are dropped from env().
_DROPPED = ("VAULT_", "OP_")


class SecretCLIs:
    """A PATH folder with `vault` and `op`, their data file and their call log."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        for name in CLIS:
            link = self.bin / name
            if not link.exists():
                link.symlink_to(HERE / name)
        self.log = root / "calls.jsonl"
        self.data_path = root / "data.json"
        self.data: dict[str, dict[str, Any]] = {"vault": {}, "op": {}}
        self.write()

    # -- the data the stand-ins answer from ---------------------------------

    def write(self) -> None:
        """Write `self.data` for the next call (each call reads the file afresh)."""
        tmp = self.data_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        tmp.replace(self.data_path)

    def vault_secret(self, path: str, values: dict | None = None, *, deleted: bool = False,
                     **kv: Any) -> None:
        """Store a KV secret at its logical path ("secret/app", not "secret/data/app").

        `values` and keyword arguments are its keys; `deleted=True`: a KV v2
        secret whose current version was deleted (metadata only).
        """
        self.data["vault"].setdefault("secrets", {})[path.strip("/")] = (
            None if deleted else {**(values or {}), **kv})
        self.write()

    def vault_mount(self, mount: str, version: int) -> None:
        """Declare a KV mount and its version (default: only "secret/", KV v2)."""
        mounts = self.data["vault"].setdefault("mounts", {"secret": 2})
        mounts[mount.strip("/")] = version
        self.write()

    def vault_deny(self, path: str) -> None:
        """A path the (valid) token's policies do not allow."""
        self.data["vault"].setdefault("denied", []).append(path.strip("/"))
        self.write()

    def op_item(self, vault: str, item: str, **fields: Any) -> None:
        """Store a 1Password item; a dict value is a section of fields."""
        self.data["op"].setdefault("items", {}).setdefault(vault, {})[item] = fields
        self.write()

    def op_account(self, url: str, email: str, user_uuid: str, account_uuid: str) -> None:
        self.data["op"].setdefault("accounts", []).append(
            {"url": url, "email": email, "user_uuid": user_uuid, "account_uuid": account_uuid})
        self.write()

    def set_state(self, cli: str, state: str, *, delay: float | None = None) -> None:
        """Put `vault` or `op` in a state (README.md lists them); wait `delay` s per answer."""
        allowed = VAULT_STATES if cli == "vault" else OP_STATES if cli == "op" else None
        if allowed is None:
            raise ValueError(f"unknown stand-in {cli!r}: expected one of {CLIS}")
        if state not in allowed:
            raise ValueError(f"unknown {cli} state {state!r}: expected one of {allowed}")
        self.data[cli]["state"] = state
        if delay is not None:
            self.data[cli]["delay"] = delay
        self.write()

    def set(self, cli: str, **settings: Any) -> None:
        """Any other setting of the data file (version, token, accounts...)."""
        self.data[cli].update(settings)
        self.write()

    # -- running and observing ---------------------------------------------

    def env(self, base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
        """`base` (default os.environ) without VAULT_*/OP_*, the stand-ins first on PATH."""
        source = dict(os.environ if base is None else base)
        env = {k: v for k, v in source.items() if not k.startswith(_DROPPED)}
        env["PATH"] = f"{self.bin}{os.pathsep}{source.get('PATH', os.defpath)}"
        env["EMB_STANDIN_LOG"] = str(self.log)
        env["EMB_STANDIN_DATA"] = str(self.data_path)
        env.update(extra)
        return env

    def calls(self, cli: str | None = None) -> list[dict[str, Any]]:
        """The recorded calls, oldest first (`cli`: only "vault" or only "op")."""
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [e for e in entries if cli is None or e["cli"] == cli]

    def clear_calls(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def secret_clis(tmp_path) -> SecretCLIs:
    """Fresh `vault` and `op` stand-ins for one test (empty data, state ok)."""
    return SecretCLIs(tmp_path / "secret-clis")
