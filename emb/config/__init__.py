"""Configuration loading: `.emb.yml`, plugins, Embfiles, flavors, `${...}` expansion.

    from emb.config import load
    monorepo = load(root=None, flavor=None, cwd=None)   # -> emb.model.Monorepo

Raises emb.errors.ConfigError (exit 2, one line naming file, JSON path and
line) for anything wrong in the configuration.
"""

from __future__ import annotations

from pathlib import Path

from emb.config.loader import load_monorepo


def load(root: str | None = None, flavor: str | None = None, cwd: str | Path | None = None):
    """Find, read, validate and resolve the monorepo configuration.

    root: -C/--root value (folder holding .emb.yml, or the file); None: EMB_ROOT, then walk up from cwd.
    flavor: --flavor value; None: EMB_FLAVOR, else no flavor.
    Side effects (SPEC §1): the dotenv plugin and the project `env:` block set
    variables in os.environ (dotenv never overrides one already set).
    """
    return load_monorepo(root=root, flavor=flavor, cwd=cwd)
