"""Find the monorepo's .emb.yml (SPEC §1 "Files").

Precedence: -C/--root DIR (a folder holding .emb.yml, or the file itself) >
EMB_ROOT > walking up from the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from emb.errors import ConfigError

CONFIG_NAME = ".emb.yml"


def find_config_file(root: str | os.PathLike | None, cwd: Path, environ=os.environ) -> Path:
    """The absolute path of the .emb.yml to load."""
    # The CLI's --root option also reads EMB_ROOT: name the one the user actually set.
    source = "EMB_ROOT" if root and str(root) == environ.get("EMB_ROOT") else "--root"
    if not root:
        root, source = environ.get("EMB_ROOT") or None, "EMB_ROOT"
    if root:
        given = Path(cwd, os.path.expanduser(str(root)))
        if given.is_file():
            return Path(os.path.abspath(given))
        if given.is_dir():
            candidate = given / CONFIG_NAME
            if candidate.is_file():
                return Path(os.path.abspath(candidate))
            raise ConfigError(
                f"no {CONFIG_NAME} in {os.path.abspath(given)} (given by {source})",
                [f"create {CONFIG_NAME} there (see `emb config schema`), or point {source} at the monorepo root"],
            )
        raise ConfigError(
            f"{root}: no such file or folder (given by {source})",
            [f"{source} must name a folder holding {CONFIG_NAME}, or the file itself"],
        )
    start = Path(os.path.abspath(cwd))
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} found in {start} or any parent folder",
        ["run emb inside a monorepo, or pass -C DIR / set EMB_ROOT to the folder holding .emb.yml"],
    )
