"""Helpers shared by the command modules: global options, loading, errors, tables."""

from __future__ import annotations

import sys
from typing import Any, Iterable, Sequence

import click

from emb.config import load
from emb.errors import EmbError
from emb.output import printable, style
from emb.redact import mask


class Globals:
    """Options of the root command, available to every sub-command as ctx.obj."""

    def __init__(self, root: str | None = None, flavor: str | None = None, verbose: bool = False):
        self.root = root
        self.flavor = flavor
        self.verbose = verbose
        self._monorepo: Any = None

    def monorepo(self):
        """Load (once) the monorepo for this invocation."""
        if self._monorepo is None:
            self._monorepo = load(root=self.root, flavor=self.flavor)
        return self._monorepo


pass_globals = click.make_pass_decorator(Globals, ensure=True)


def print_error(err: EmbError) -> None:
    """`emb: error: MESSAGE` and its hints on stderr: secrets masked, control characters
    (from a configuration value quoted in the message) escaped; a closed stderr is no crash."""
    prefix = style("emb: error:", sys.stderr, fg="red", bold=True)
    lines = [f"{prefix} {printable(mask(err.message))}", *(f"  hint: {printable(mask(hint))}" for hint in err.hints)]
    try:
        click.echo("\n".join(lines), err=True)
    except (OSError, ValueError):
        pass  # stderr closed (`2>&-`): the exit code still tells


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], width: int | None = None) -> str:
    """Aligned columns; the last column is cut to fit `width` (default: terminal or 80)."""
    # Cells come from configuration files: escape control characters (and \n, \t: one row per line).
    rows = [["" if c is None else printable(str(c), newlines=False) for c in row] for row in rows]
    if width is None:
        width = _terminal_width()
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    fixed = sum(widths[:-1]) + 2 * (len(widths) - 1)
    last = max(10, width - fixed) if fixed + widths[-1] > width else widths[-1]
    widths[-1] = last

    def fmt(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            if i == len(cells) - 1:
                cell = cell if len(cell) <= last else cell[: max(0, last - 1)] + "…"
                out.append(cell)
            else:
                out.append(cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [fmt(list(headers)), *(fmt(r) for r in rows)]
    return "\n".join(lines)


def _terminal_width() -> int:
    if not sys.stdout.isatty():
        return 10_000  # never cut what a pipe or a file receives
    import shutil

    return shutil.get_terminal_size((80, 24)).columns
