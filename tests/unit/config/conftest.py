"""Fixtures for configuration tests: write a monorepo, load it in-process.

Loads get their own environment dict (never os.environ), so the dotenv
plugin and the `env:` block cannot leak between tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emb.config.loader import load_monorepo
from emb.errors import ConfigError
from tests.helpers import write_tree


class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.environ: dict[str, str] = {}

    def write(self, files: dict[str, str]) -> "Repo":
        write_tree(self.root, files)
        return self

    def load(self, flavor: str | None = None, cwd: Path | None = None, root=None, **env: str):
        self.environ.update(env)
        return load_monorepo(root=root, flavor=flavor, cwd=cwd or self.root, environ=self.environ)

    def error(self, flavor: str | None = None, **env: str) -> ConfigError:
        with pytest.raises(ConfigError) as info:
            self.load(flavor=flavor, **env)
        return info.value


@pytest.fixture
def repo(tmp_path) -> Repo:
    return Repo(tmp_path)
