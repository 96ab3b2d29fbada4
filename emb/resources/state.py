"""Freshness records: what a resource was last built from, under `.emb/<flavor>/`.

    .emb/<flavor>/resources/<component>/<name>.json   {key, value: record}
    .emb/<flavor>/cache/context-hashes                file digests (emb.resources.context.HashCache)

A record is written only after its build succeeded (the flow calls `save`
then, and never for a failed or interrupted build), so a missing or old
record means "build". Build-arg values are kept as digests, never as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emb import state
from emb.model import Monorepo, Resource
from emb.resources.context import HashCache

RECORD_KEY = "emb-resource-1"


def record_path(monorepo: Monorepo, resource: Resource) -> Path:
    folder = state.flavor_dir(monorepo.root, monorepo.flavor) / "resources"
    return folder / _safe(resource.component) / (_safe(resource.name) + ".json")


def load(monorepo: Monorepo, resource: Resource) -> dict | None:
    value = state.read_record(record_path(monorepo, resource), RECORD_KEY)
    return value if isinstance(value, dict) else None


def save(monorepo: Monorepo, resource: Resource, record: dict[str, Any]) -> bool:
    return state.write_record(record_path(monorepo, resource), RECORD_KEY, record)


def hash_cache_path(monorepo: Monorepo) -> Path:
    return state.flavor_dir(monorepo.root, monorepo.flavor) / "cache" / "context-hashes"


def load_hash_cache(monorepo: Monorepo) -> HashCache:
    try:
        data = hash_cache_path(monorepo).read_bytes()
    except OSError:
        data = None
    return HashCache.load(data)


def save_hash_cache(monorepo: Monorepo, cache: HashCache) -> None:
    state.atomic_write(hash_cache_path(monorepo), cache.dumps())


def digest(value: str) -> str:
    return state.blake2b(value.encode(), digest_size=16).hexdigest()


def _safe(name: str) -> str:
    out = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return "_" + out if out.startswith(".") or not out else out
