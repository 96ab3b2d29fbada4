"""`${op:VAULT/ITEM#FIELD}`: a field of a 1Password item, read with `op read op://VAULT/ITEM/FIELD`.

`${op:VAULT/ITEM/SECTION#FIELD}` names a field inside a section
(`op://VAULT/ITEM/SECTION/FIELD`). The op CLI does the work: its session (`op
signin`, the desktop app's integration) or a service account
(OP_SERVICE_ACCOUNT_TOKEN in the environment emb was started in). The
account is the plugin's `config.account` (passed as `--account`), else op's
own OP_ACCOUNT. Every OP_* variable comes from the launch environment only
(a repository's `.env` must not choose the account or a Connect server).

The error texts matched below are op's (see tests/standins/op for their sources).
"""

from __future__ import annotations

from typing import Any, Mapping

from emb.config.secrets.common import (
    FAILED, NOT_FOUND, NOT_INSTALLED, NOT_LOGGED_IN, PERMISSION_DENIED, TIMEOUT, UNREACHABLE, Reference,
    SecretError, Status, first_line, split_key, timeout, tool_env)
from emb.errors import ConfigError
from emb.process import capture

EXAMPLE = "${op:Prod/Database#password}"
INSTALL_HINT = ("install the 1Password CLI (https://developer.1password.com/docs/cli/get-started/); "
                "emb reads 1Password through it")
_SIGNED_OUT = ("not currently signed in", "account is not signed in", "no accounts configured",
               "session expired", "you are not signed in", "authentication required", "invalid session",
               "not signed in")
_UNREACHABLE = ("requestdelegatedsession", "cannot setup session", "connection refused", "no such host",
                "dial tcp", "i/o timeout", "connection reset", "network is unreachable", "no route to host")


class OnePassword:
    name = "op"
    cli = "op"

    def __init__(self, config: Mapping[str, Any], launch_env: Mapping[str, str]):
        self.launch_env = launch_env
        self.account = config.get("account") or None
        self._timeout: float | None = None

    def parse(self, body: str) -> Reference:
        path, key = split_key("op", body, EXAMPLE)
        parts = path.split("/")
        if not 2 <= len(parts) <= 3 or not all(p.strip() for p in parts) or "/" in key:
            raise ConfigError(f"malformed secret reference ${{op:{body}}}: expected VAULT/ITEM#FIELD",
                              [f"write it as {EXAMPLE} (or VAULT/ITEM/SECTION#FIELD for a field in a section)"])
        return Reference("op", path, key)

    @staticmethod
    def uri(ref: Reference) -> str:
        return f"op://{ref.path}/{ref.key}"

    def account_args(self) -> tuple[str, ...]:
        return ("--account", self.account) if self.account else ()

    def env(self) -> dict[str, str]:
        return tool_env(self.launch_env, ("OP_",), {})

    def seconds(self) -> float:
        if self._timeout is None:
            self._timeout = timeout(self.launch_env)
        return self._timeout

    def read(self, ref: Reference) -> str:
        done = capture(("op", "read", self.uri(ref), *self.account_args()), timeout=self.seconds(), env=self.env())
        if done.ok:
            value = done.stdout.decode("utf-8", "surrogateescape")
            return value[:-1] if value.endswith("\n") else value  # op read adds one newline
        raise self.failure(done, f"reading {ref.text()}", ref)

    def status(self) -> Status:
        done = capture(("op", "whoami", *self.account_args()), timeout=self.seconds(), env=self.env())
        if done.ok:
            rows = dict(line.split(":", 1) for line in done.text().splitlines() if ":" in line)
            who = (rows.get("Email") or rows.get("User Type") or "").strip()
            url = (rows.get("URL") or "").strip()
            return Status(self.name, self.cli, True, True, ", ".join(x for x in (url, who) if x) or "signed in")
        err = self.failure(done, "checking the sign-in")
        return Status(self.name, self.cli, err.kind != NOT_INSTALLED, False, err.message, err.kind)

    def failure(self, done, doing: str, ref: Reference | None = None) -> SecretError:
        account = f" ({self.account})" if self.account else ""
        if done.missing:
            return SecretError(f"the 1Password CLI (op) is not installed ({doing})",
                               [INSTALL_HINT, "check with: op --version"], kind=NOT_INSTALLED)
        if done.timed_out:
            return SecretError(f"1Password{account} did not answer within {self.seconds():g}s ({doing})",
                               ["check with: op whoami", "allow longer with EMB_SECRET_TIMEOUT=SECONDS"],
                               kind=TIMEOUT)
        text = done.error_text()
        low = text.lower()
        said = f"op said: {first_line(text) or '(nothing)'}"
        if any(s in low for s in _SIGNED_OUT):
            signin = "op signin" + (f" --account {self.account}" if self.account else "")
            return SecretError(f"not signed in to 1Password{account} ({doing})",
                               [f"sign in: {signin}  (in a shell: eval $({signin}))",
                                "or export OP_SERVICE_ACCOUNT_TOKEN=... (a service account) before running emb"],
                               kind=NOT_LOGGED_IN)
        if "forbidden" in low or "aren't authorized" in low or "not authorized" in low:
            return SecretError(f"permission denied by 1Password{account} ({doing})",
                               [said, "your account (or service account) needs access to the vault: "
                                      "op vault list shows the vaults it can read"], kind=PERMISSION_DENIED)
        if any(s in low for s in _UNREACHABLE):
            return SecretError(f"cannot reach 1Password{account} ({doing})",
                               [said, "is the 1Password app running and unlocked? check with: op whoami"],
                               kind=UNREACHABLE)
        if ref is not None:
            vault, item = ref.path.split("/")[:2]
            if "isn't a vault" in low:
                return SecretError(f"no vault '{vault}' in 1Password{account} ({doing})",
                                   ["see the vaults you can read: op vault list"], kind=NOT_FOUND)
            if "isn't an item" in low:
                return SecretError(f"no item '{item}' in 1Password vault '{vault}' ({doing})",
                                   [f"see its items: op item list --vault {vault}"], kind=NOT_FOUND)
            if "does not have a field" in low:
                return SecretError(f"1Password item '{vault}/{item}' has no field '{ref.key}' ({doing})",
                                   [f"see its fields: op item get {item} --vault {vault}",
                                    f"the field follows the '#': {EXAMPLE}"], kind=NOT_FOUND)
        return SecretError(f"op failed with exit status {done.returncode} ({doing})", [said], kind=FAILED)
