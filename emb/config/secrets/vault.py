"""`${vault:PATH#KEY}`: a key of a Vault KV secret, read with `vault kv get -field=KEY PATH`.

The vault CLI does the work (KV v1 or v2, its token helper, TLS settings);
emb gives it the address, namespace and token through its environment, never
on its command line, and reads the value from its stdout (`-field` prints the
raw value, without a newline when stdout is not a terminal).

Where the settings come from (docs/secrets.md):
- address: plugin `config.address`, else VAULT_ADDR from the environment emb
  was started in; namespace likewise (`config.namespace`, VAULT_NAMESPACE).
- token: `config.auth: {method: token, token}`, else whatever the vault CLI
  finds itself (VAULT_TOKEN at launch, `vault login`'s ~/.vault-token). The
  other auth methods of EMB 0.30 (approle, kubernetes, jwt, oidc) are logins:
  the user logs in with the vault CLI (`vault login -method=...`) and emb
  uses that token.
- Every other VAULT_* variable (VAULT_CACERT, VAULT_SKIP_VERIFY...) is the
  vault CLI's own and comes only from the launch environment: a repository's
  `.env` must not choose the server the user's token is sent to.

The error texts matched below are the CLI's and the server's (see
tests/standins/vault for their sources); they are matched on text, never on
HTTP codes.
"""

from __future__ import annotations

from typing import Any, Mapping

from emb import redact
from emb.config.secrets.common import (
    FAILED, NOT_CONFIGURED, NOT_FOUND, NOT_INSTALLED, NOT_LOGGED_IN, PERMISSION_DENIED, SEALED, TIMEOUT,
    UNREACHABLE, Reference, SecretError, Status, first_line, split_key, timeout, tool_env)
from emb.errors import ConfigError
from emb.process import capture

EXAMPLE = "${vault:secret/prod/db#password}"
INSTALL_HINT = "install the vault CLI (https://developer.hashicorp.com/vault/install); emb reads Vault through it"
# How the CLI and Go's net/http say "no server there".
_UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "network is unreachable",
                "connection reset", "tls: ", "x509: ", "server gave http response to https client",
                "context deadline exceeded", "no route to host")


class Vault:
    name = "vault"
    cli = "vault"

    def __init__(self, config: Mapping[str, Any], launch_env: Mapping[str, str]):
        self.launch_env = launch_env
        auth = config.get("auth") or {}
        self.method = auth.get("method")
        self.token = auth.get("token") if self.method == "token" else None
        if self.token:
            redact.register(self.token)
        if config.get("address"):
            self.address, self.address_from = config["address"], "the vault plugin's config"
        else:
            self.address, self.address_from = launch_env.get("VAULT_ADDR") or None, "VAULT_ADDR"
        self.namespace = config.get("namespace") or launch_env.get("VAULT_NAMESPACE") or None
        self._timeout: float | None = None

    # -- references -------------------------------------------------------------------------------
    def parse(self, body: str) -> Reference:
        path, key = split_key("vault", body, EXAMPLE)
        if path.startswith("-"):  # it would be read as one of vault's flags
            raise ConfigError(f"malformed secret reference ${{vault:{body}}}: a path cannot start with '-'",
                              [f"write it as {EXAMPLE}"])
        return Reference("vault", path, key)

    # -- reading ----------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        extra = {"VAULT_ADDR": self.address or ""}
        if self.namespace:
            extra["VAULT_NAMESPACE"] = self.namespace
        if self.token:
            extra["VAULT_TOKEN"] = self.token
        env = tool_env(self.launch_env, ("VAULT_",), extra)
        env["VAULT_FORMAT"] = ""  # -field must print the raw value, not JSON (empty: the default, table)
        return env

    def seconds(self) -> float:
        if self._timeout is None:
            self._timeout = timeout(self.launch_env)
        return self._timeout

    def read(self, ref: Reference) -> str:
        if not self.address:
            raise SecretError(
                f"no Vault address for {ref.text()}: VAULT_ADDR is not set",
                ["export VAULT_ADDR=https://vault.example.com:8200 before running emb",
                 "or set it in .emb.yml: plugins: [{name: vault, config: {address: https://...}}]",
                 "a .env file or the env: block cannot set it (docs/secrets.md says why)"],
                kind=NOT_CONFIGURED)
        done = capture(("vault", "kv", "get", f"-field={ref.key}", ref.path),
                       timeout=self.seconds(), env=self.env())
        if done.ok:
            return done.stdout.decode("utf-8", "surrogateescape")
        raise self.failure(done, f"reading {ref.text()}", ref)

    def status(self) -> Status:
        where = self.address or "(no address)"
        if not self.address:
            return Status(self.name, self.cli, self._installed(), False,
                          "no address: VAULT_ADDR is not set and the plugin config has no address", NOT_CONFIGURED)
        done = capture(("vault", "token", "lookup"), timeout=self.seconds(), env=self.env())
        if done.ok:  # its output holds the token itself: never shown
            return Status(self.name, self.cli, True, True, f"{where}, token {self._token_from()}")
        err = self.failure(done, "checking the login")
        return Status(self.name, self.cli, err.kind != NOT_INSTALLED, False, err.message, err.kind)

    # -- errors -----------------------------------------------------------------------------------
    def _installed(self) -> bool:
        done = capture(("vault", "version"), timeout=self.seconds(), env=self.env())
        return not done.missing

    def _token_from(self) -> str:
        if self.token:
            return "from the vault plugin's config"
        if self.launch_env.get("VAULT_TOKEN"):
            return "from VAULT_TOKEN"
        return "from the vault CLI's login"

    def _logged_in(self) -> bool:
        """After a bare "permission denied": does the token itself work?"""
        done = capture(("vault", "token", "lookup"), timeout=self.seconds(), env=self.env())
        return done.ok

    def failure(self, done, doing: str, ref: Reference | None = None) -> SecretError:
        addr = self.address
        at = f"Vault at {addr}"
        if done.missing:
            return SecretError(f"the vault CLI is not installed ({doing})",
                               [INSTALL_HINT, "check with: vault version"], kind=NOT_INSTALLED)
        if done.timed_out:
            return SecretError(f"{at} did not answer within {self.seconds():g}s ({doing})",
                               ["check the server: vault status",
                                "allow longer with EMB_SECRET_TIMEOUT=SECONDS"], kind=TIMEOUT)
        text = done.error_text()
        low = text.lower()
        login_hints = ["log in: vault login", "or export VAULT_TOKEN=... before running emb"]
        if self.token:
            login_hints.insert(0, "the token comes from the vault plugin's config (auth.token): renew it")
        if "vault is sealed" in low:
            return SecretError(f"{at} is sealed ({doing})",
                               ["check with: vault status", "an operator must unseal it (vault operator unseal)"],
                               kind=SEALED)
        if any(s in low for s in _UNREACHABLE):
            return SecretError(f"cannot reach {at} ({doing})",
                               [f"vault said: {first_line(text)}",
                                f"the address comes from {self.address_from}; check it and the network: vault status"],
                               kind=UNREACHABLE)
        if "invalid token" in low or "token expired" in low or "bad token" in low:
            return SecretError(f"not logged in to {at}: the token is invalid or expired ({doing})",
                               login_hints, kind=NOT_LOGGED_IN)
        if "missing client token" in low:
            return SecretError(f"not logged in to {at}: no token ({doing})", login_hints, kind=NOT_LOGGED_IN)
        if ref is not None:
            if "preflight capability check returned 403" in low or (
                    "permission denied" in low and self._logged_in()):
                return SecretError(
                    f"permission denied: {at} does not let this token read {ref.path} ({doing})",
                    ["the token's policies must allow read on the path (KV v2: MOUNT/data/PATH); "
                     "see them with: vault token lookup",
                     "Vault answers the same when no secrets engine is mounted there: vault secrets list"],
                    kind=PERMISSION_DENIED)
            if "permission denied" in low:
                return SecretError(f"not logged in to {at}: no valid token ({doing})", login_hints,
                                   kind=NOT_LOGGED_IN)
            if "no value found at" in low:
                return SecretError(f"no secret at {ref.path} in {at} ({doing})",
                                   ["KV paths are MOUNT/PATH, e.g. secret/prod/db",
                                    "see what is there: vault kv list " + (ref.path.rpartition("/")[0] or ref.path)],
                                   kind=NOT_FOUND)
            if "no data found at" in low:
                return SecretError(f"secret {ref.path} in {at} has no current version (deleted) ({doing})",
                                   [f"see its versions: vault kv metadata get {ref.path}"], kind=NOT_FOUND)
            if "not present in secret" in low:
                return SecretError(f"secret {ref.path} in {at} has no key '{ref.key}' ({doing})",
                                   [f"see its keys: vault kv get {ref.path}",
                                    f"the key follows the '#': {EXAMPLE}"], kind=NOT_FOUND)
        elif "permission denied" in low:
            return SecretError(f"not logged in to {at}: no valid token ({doing})", login_hints, kind=NOT_LOGGED_IN)
        return SecretError(f"vault failed with exit status {done.returncode} ({doing})",
                           [f"vault said: {first_line(text) or '(nothing)'}"], kind=FAILED)
