"""The configuration pipeline: find -> read -> validate -> plugins -> merge ->
flavor -> expand -> build. Each step lives in its own module; this one only
orders them and decides when schema validation can be skipped (see cache.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import MutableMapping

from emb import __version__, state
from emb.config import cache
from emb.config.build import build
from emb.config.cache import ParseCache
from emb.config.expand import Expander, Sources
from emb.config.find import find_config_file
from emb.config.flavors import apply_flavor
from emb.config.merge import FlavorSource, merge_components, normalize_folder
from emb.config.values import expand_patch_value
from emb.config.plugins import PluginRun, run_plugins
from emb.config.schemafiles import schema_bytes
from emb.config.validate import validate
from emb.config.where import Origins, config_error
from emb.config.yamlio import read_mapping
from emb.errors import ConfigError
from emb.model import Monorepo

EMB_HINT = "start it with: project: {name: myapp}  (see `emb config schema`)"


def current_directory() -> Path:
    try:
        return Path.cwd()
    except OSError:  # deleted under our feet (a shell still sitting in a removed folder)
        raise ConfigError("the current directory no longer exists",
                          ["cd to the monorepo, or pass -C DIR / set EMB_ROOT"]) from None


def load_monorepo(root: str | os.PathLike | None = None, flavor: str | None = None,
                  cwd: str | os.PathLike | None = None,
                  environ: MutableMapping[str, str] | None = None) -> Monorepo:
    environ = os.environ if environ is None else environ
    cwd = Path(cwd) if cwd is not None else current_directory()
    flavor = flavor if flavor is not None else (environ.get("EMB_FLAVOR") or None)
    flavor = flavor or None

    config_file = find_config_file(root, cwd, environ)
    cache_dir = state.cache_dir(config_file.parent)
    state.refuse_links(cache_dir)  # a committed `.emb -> elsewhere` is refused, not written through
    parsed = ParseCache(cache_dir / "parsed.marshal")
    raw, doc = read_mapping(config_file, "the configuration", EMB_HINT, parsed)
    origins = Origins(config_file)

    def emb_error(path, message, hints=(), key=False):
        return config_error(config_file, path, message, hints, key=key)

    # Validate .emb.yml before using any of it (plugins read their config from it).
    schemas = schema_bytes()
    validated = cache.ValidationCache(cache_dir)
    emb_key = cache.Fingerprint(__version__, schemas, str(config_file), raw).hexdigest()
    if not validated.has(emb_key):
        validate("emb", doc, emb_error)
        validated.add(emb_key)

    sources = Sources()  # secret sources (vault, op) are registered here by their plugins
    expander = Expander(environ, doc.get("vars") or {}, origins.error, sources)
    project = doc["project"]
    root_dir = Path(os.path.normpath(config_file.parent / expander.string(project.get("rootDir", "."),
                                                                          ("project", "rootDir"))))
    if not root_dir.is_dir():
        raise emb_error(("project", "rootDir"), f"folder {root_dir} does not exist")

    declared = tuple(normalize_folder(str((c or {}).get("rootDir", name)))
                     for name, c in (doc.get("components") or {}).items())
    run = PluginRun(root=root_dir, environ=environ, origins=origins, parse_cache=parsed,
                    declared_folders=declared, sources=sources)
    run_plugins(doc.get("plugins") or [], run, expander.tree)
    parsed.save()  # now, before merging and patching share and change the parsed data

    # Everything the merged, flavored document depends on, for the second cache key.
    fingerprint = cache.Fingerprint(__version__, schemas, str(config_file), raw, flavor or "",
                                    *run.fingerprint_parts)
    for file, body, _ in run.embfiles:
        fingerprint.add(str(file))
        fingerprint.add(body)
    full_key = fingerprint.hexdigest()
    must_validate = not validated.has(full_key)
    if must_validate:
        for file, _, data in run.embfiles:
            validate("embfile", data, lambda p, m, h=(), key=False, f=file: config_error(f, p, m, h, key=key))

    components, flavor_sources = merge_components(doc, run.found, config_file, root_dir, origins)
    # The merged document keeps .emb.yml's key order; plugins and flavors are consumed here.
    merged = {k: (components if k == "components" else v) for k, v in doc.items()
              if k not in ("flavors", "plugins")}
    if components:
        merged["components"] = components
    flavor_sources.append(FlavorSource(None, doc.get("flavors") or {}, config_file, ("flavors",)))

    if flavor:
        merged = apply_flavor(merged, flavor, flavor_sources, origins, expand_patch_value(expander))
        if must_validate:
            validate("emb", merged, lambda p, m, h=(), key=False: origins.error(p, m, h, key=key))
    if must_validate:
        validated.add(full_key)
    validated.save()

    # Expansion (SPEC §1): the env block (exported as it goes) and what loading needs
    # (project, kubernetes) now; task vars/scripts/confirm, resource params and
    # defaults.docker when used (emb.config.values). A fresh expander: flavor patches
    # may have changed `vars` since plugins used it.
    expander = Expander(environ, merged.get("vars") or {}, origins.error, sources)
    env = expander.export_env(merged.get("env") or {}, environ, ("env",))
    resolved = dict(merged)
    if "env" in merged:
        resolved["env"] = env
    for key in ("project", "kubernetes"):
        if key in merged:
            resolved[key] = expander.tree(merged[key], (key,))
    defaults = merged.get("defaults")
    if isinstance(defaults, dict) and "kubernetes" in defaults:
        resolved["defaults"] = {**defaults, "kubernetes": expander.tree(defaults["kubernetes"],
                                                                        ("defaults", "kubernetes"))}
    if merged.get("components"):
        resolved["components"] = {
            name: ({**comp, "kubernetes": expander.tree(comp["kubernetes"], ("components", name, "kubernetes"))}
                   if isinstance(comp, dict) and "kubernetes" in comp else comp)
            for name, comp in merged["components"].items()}
    policy = ((doc.get("flavors") or {}).get(flavor) or {}).get("defaults", {}).get("rebuildPolicy") if flavor else None
    return build(resolved, root=root_dir, config_file=config_file, flavor=flavor, origins=origins,
                 rebuild_policy=expander.tree(policy, ("flavors", flavor, "defaults", "rebuildPolicy")),
                 env=env, expander=expander)
