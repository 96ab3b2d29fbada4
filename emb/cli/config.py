"""`emb config print` (the resolved configuration) and `emb config schema`."""

from __future__ import annotations

import json

import click

from emb.cli.common import pass_globals, print_json


@click.group(short_help="Print the resolved configuration or its JSON Schema.")
def config():
    """Print the resolved configuration or its JSON Schema."""


@config.command("print")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of YAML.")
@click.option("--flavor", metavar="NAME", help="Apply this flavor (same as the global --flavor).")
@pass_globals
def print_config(globals_, as_json: bool, flavor: str | None):
    """Print the configuration after plugins, flavor patches and ${...} expansion."""
    if flavor:
        globals_.flavor = flavor
        globals_._monorepo = None
    resolved = globals_.monorepo().resolved
    if as_json:
        print_json(resolved)
    else:
        import yaml

        click.echo(yaml.safe_dump(json.loads(json.dumps(resolved, default=str)), sort_keys=False,
                                  allow_unicode=True, default_flow_style=False, width=100), nl=False)
    return 0


@config.command("schema")
@click.option("--embfile", is_flag=True, help="The schema of Embfile.yml instead of .emb.yml.")
def schema(embfile: bool):
    """Print the JSON Schema of .emb.yml (self-contained, for editors)."""
    from emb.config.validate import bundled_schema

    print_json(bundled_schema("embfile" if embfile else "emb"))
    return 0
