"""`emb secrets` (the references, reading nothing), `emb secrets validate` (read each,
✔/✖), `emb secrets providers` (is each CLI installed and logged in). SPEC §7.

No secret value is ever printed: validate says only whether it could be read.
"""

from __future__ import annotations

import click

from emb import redact
from emb.cli.common import pass_globals, table
from emb.config.secrets import check, entries, secrets_of
from emb.output import print_json, style

FLAVOR_HELP = "Apply this flavor (same as the global --flavor)."


def printable(text: str) -> str:
    """Configuration text with control characters escaped (SPEC §3)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _load(globals_, flavor: str | None):
    if flavor:
        globals_.flavor = flavor
        globals_._monorepo = None
    monorepo = globals_.monorepo()
    return monorepo, secrets_of(monorepo)


@click.group(invoke_without_command=True, short_help="List the secret references (vault, op).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--flavor", metavar="NAME", help=FLAVOR_HELP)
@click.pass_context
@pass_globals
def secrets(globals_, ctx: click.Context, as_json: bool, flavor: str | None):
    """List the secret references of the configuration: PROVIDER, PATH, KEY, COMPONENT,
    USED IN. Reads no secret (see `emb secrets validate`)."""
    if ctx.invoked_subcommand is not None:
        return None
    monorepo, _ = _load(globals_, flavor)
    found = entries(monorepo.resolved)
    if as_json:
        print_json([e.record() for e in found])
        return 0
    if not found:
        click.echo("no secret references (${vault:PATH#KEY}, ${op:VAULT/ITEM#FIELD}) in the configuration")
        return 0
    rows = [(e.provider, printable(e.path), printable(e.key), e.component or "-", ", ".join(e.used_in))
            for e in found]
    click.echo(table(["PROVIDER", "PATH", "KEY", "COMPONENT", "USED IN"], rows))
    return 0


@secrets.command("validate")
@click.option("--fail-fast", is_flag=True, help="Stop at the first secret that cannot be read.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of results.")
@click.option("--flavor", metavar="NAME", help=FLAVOR_HELP)
@pass_globals
def validate(globals_, fail_fast: bool, as_json: bool, flavor: str | None):
    """Read every secret reference once and report ✔ or ✖ (never the value).
    Exit status 1 when any cannot be read."""
    monorepo, sources = _load(globals_, flavor)
    found, seen = [], set()
    for entry in entries(monorepo.resolved):  # one check per secret, whatever uses it
        if (entry.provider, entry.path, entry.key) not in seen:
            seen.add((entry.provider, entry.path, entry.key))
            found.append(entry)
    results = []
    for entry in found:
        result = check(sources, entry)
        results.append(result)
        if not as_json:
            _report(result)
        if fail_fast and not result.ok:
            break
    failed = sum(1 for r in results if not r.ok)
    if as_json:
        print_json([r.record() for r in results])
    else:
        unchecked = len(found) - len(results)
        summary = f"{len(results) - failed} of {len(found)} secrets readable"
        if failed:
            summary += f", {failed} failed"
        if unchecked:
            summary += f", {unchecked} not checked (--fail-fast)"
        click.echo(summary if found else "no secret references in the configuration")
    return 1 if failed else 0


def _report(result) -> None:
    ref = f"{result.provider} {printable(result.path)}#{printable(result.key)}"
    if result.ok:
        click.echo(f"{style('✔', None, fg='green')} {ref}")
        return
    click.echo(f"{style('✖', None, fg='red')} {ref}: {redact.mask(result.error.message)}")
    for hint in result.error.hints:
        click.echo(f"    hint: {redact.mask(hint)}")


@secrets.command("providers")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--flavor", metavar="NAME", help=FLAVOR_HELP)
@pass_globals
def providers(globals_, as_json: bool, flavor: str | None):
    """The configured secret providers: is their CLI installed, are you logged in
    (`vault token lookup`, `op whoami`). Reads no secret."""
    _, sources = _load(globals_, flavor)
    statuses = [sources.status(name) for name in sources.names]
    if as_json:
        print_json([s.record() for s in statuses])
        return 0
    if not statuses:
        click.echo("no secret providers configured (add to .emb.yml: plugins: [{name: vault}] or [{name: op}])")
        return 0
    rows = [(s.name, s.cli, "yes" if s.installed else "no", "yes" if s.logged_in else "no",
             redact.mask(s.detail)) for s in statuses]
    click.echo(table(["PROVIDER", "CLI", "INSTALLED", "LOGGED IN", "DETAIL"], rows))
    return 0
