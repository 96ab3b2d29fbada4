"""emb's own output: colour only on a terminal, lines on stderr, JSON on stdout.

Shared by the command modules (emb.cli) and the flows (emb.flow); below both.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click


def use_color(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stderr
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def style(text: str, stream=None, **kw) -> str:
    return click.style(text, **kw) if use_color(stream) else text


def note(message: str) -> None:
    """One of emb's own progress lines: always stderr, so stdout is the task's alone."""
    click.echo(message, err=True)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
