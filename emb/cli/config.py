"""`emb config print` (the resolved configuration) and `emb config schema`."""

from __future__ import annotations

import json

import click

from emb import redact
from emb.cli.common import pass_globals
from emb.config.values import display_document
from emb.output import print_json


@click.group(short_help="Print the resolved configuration or its JSON Schema.")
def config():
    """Print the resolved configuration or its JSON Schema."""


@config.command("print")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of YAML.")
@click.option("--flavor", metavar="NAME", help="Apply this flavor (same as the global --flavor).")
@pass_globals
def print_config(globals_, as_json: bool, flavor: str | None):
    """Print the configuration after plugins, flavor patches and ${...} expansion.

    A reference that cannot be resolved here (an unset variable, a secret) is
    printed as written: printing never fails for a value only a task needs."""
    if flavor:
        globals_.flavor = flavor
        globals_._monorepo = None
    # A secret read at load (in the env: block) is shown as ***.
    resolved = redact.mask_data(display_document(globals_.monorepo()))
    if as_json:
        print_json(resolved)
    else:
        # Known secret values masked (SPEC §7), as print_json does for --json.
        click.echo(to_yaml(redact.mask_data(json.loads(json.dumps(resolved, default=str)))), nl=False)
    return 0


def to_yaml(data) -> str:
    """YAML as a person writes it: multi-line strings (scripts) as `|` blocks."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value: str):
        # Block style cannot carry trailing spaces on a line: keep the quoted form there.
        block = "\n" in value and not any(line != line.rstrip() for line in value.split("\n"))
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if block else None)

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


@config.command("schema")
@click.option("--embfile", is_flag=True, help="The schema of Embfile.yml instead of .emb.yml.")
def schema(embfile: bool):
    """Print the JSON Schema of .emb.yml (self-contained, for editors)."""
    from emb.config.validate import bundled_schema

    print_json(bundled_schema("embfile" if embfile else "emb"))
    return 0
