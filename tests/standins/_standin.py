"""What the `vault` and `op` stand-ins share: the call log, the data file, the delay.

Both scripts import this module from their own folder (the PATH folder holds
symlinks to them, and each resolves its real path first). Standard library only:
the scripts run under whatever `python3` is first on PATH.

Environment:
  EMB_STANDIN_LOG   file that receives one JSON line per call (appended)
  EMB_STANDIN_DATA  JSON data file the answers come from (see README.md)

A call is recorded before it is answered, so a call that is killed while it
waits out a configured delay is still in the log.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from typing import Any

LOG_ENV = "EMB_STANDIN_LOG"
DATA_ENV = "EMB_STANDIN_DATA"

# Variables recorded by value (they are addresses and names, not secrets) and
# variables recorded only as present/absent (their values are credentials).
RECORDED_VALUES = ("VAULT_ADDR", "VAULT_NAMESPACE", "VAULT_FORMAT", "OP_ACCOUNT", "OP_FORMAT")
RECORDED_PRESENCE = ("VAULT_TOKEN", "OP_SERVICE_ACCOUNT_TOKEN", "OP_CONNECT_TOKEN")


def record(cli: str, argv: list[str], **extra: Any) -> None:
    """Append one JSON line describing this call to $EMB_STANDIN_LOG (if set)."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    env: dict[str, Any] = {name: os.environ.get(name) for name in RECORDED_VALUES}
    env.update({name: name in os.environ for name in RECORDED_PRESENCE})
    entry = {
        "cli": cli,
        "argv": argv,
        "env": env,
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "time": time.time(),
        **extra,
    }
    line = (json.dumps(entry, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # concurrent calls (emb validates in parallel)
        os.write(fd, line)
    finally:
        os.close(fd)


def load(section: str) -> dict[str, Any]:
    """The `section` ("vault" or "op") of $EMB_STANDIN_DATA; {} when unset or absent."""
    path = os.environ.get(DATA_ENV)
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as e:
        not_emulated(f"{path} is not valid JSON ({e})", code=70)
    return data.get(section) or {}


def wait(config: dict[str, Any]) -> None:
    """Emulate a slow server: sleep `delay` seconds before answering."""
    delay = float(config.get("delay") or 0)
    if delay > 0:
        time.sleep(delay)


def not_emulated(what: str, code: int = 64) -> None:
    """Leave with a line no real CLI prints, so a test never mistakes it for one."""
    sys.stderr.write(f"emb stand-in: {what}\n")
    sys.exit(code)


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
