"""emb's own output: colour only on a terminal, lines on stderr, JSON on stdout.

Shared by the command modules (emb.cli) and the flows (emb.flow); below both.
Everything printed here is masked (emb.redact: known secret values become
***) and, where it can hold strings from configuration files, has its
control characters escaped (`printable`): a description must not write the
clipboard (OSC 52) or redraw the terminal (`\r`, CSI) when `emb tasks` prints it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from emb import redact

# C0 controls, DEL and C1 controls -> a visible escape; \t and \n as themselves unless asked.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x1B: "\\x1b"})
_LINE_ESCAPES = {k: v for k, v in _ESCAPES.items() if k not in (0x09, 0x0A)}


def printable(text: str, *, newlines: bool = True) -> str:
    """`text` with control characters shown as escapes (`\x1b`, `\r`...); with
    `newlines=False` (table cells) `\n` and `\t` are escaped too. Known secrets masked."""
    text = redact.mask(text)
    return text.translate(_LINE_ESCAPES if newlines else _ESCAPES)


def has_controls(text: str) -> bool:
    return text != text.translate(_LINE_ESCAPES)


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
    """One of emb's own progress lines: always stderr, so stdout is the task's alone.
    Control characters escaped (the colours emb adds itself are kept), secrets masked."""
    click.echo(_escape_keeping_colours(redact.mask(message)), err=True)


def print_json(data: Any) -> None:
    """JSON on stdout, secrets masked. Strict JSON: a float that is not finite
    (YAML `.inf`) is written as its text, never as `Infinity`/`NaN`."""
    click.echo(json_text(data, indent=2))


def json_text(data: Any, indent: int | None = None) -> str:
    """Strict JSON (no Infinity/NaN), known secrets masked; control characters are
    escaped by JSON itself (\u001b)."""
    return json.dumps(_finite(redact.mask_data(data)), indent=indent, sort_keys=False, default=str,
                      allow_nan=False)


def _finite(data: Any) -> Any:
    if isinstance(data, float) and (data != data or data in (float("inf"), float("-inf"))):
        return str(data)
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


_SGR = None


def _escape_keeping_colours(text: str) -> str:
    """Escape control characters except click's own SGR colour sequences (ESC [ ... m)."""
    if not has_controls(text):
        return text
    if not use_color(sys.stderr):
        return text.translate(_LINE_ESCAPES)
    global _SGR
    if _SGR is None:
        import re

        _SGR = re.compile(r"\x1b\[[0-9;]*m")
    parts, last = [], 0
    for match in _SGR.finditer(text):
        parts.append(text[last:match.start()].translate(_LINE_ESCAPES))
        parts.append(match.group())
        last = match.end()
    parts.append(text[last:].translate(_LINE_ESCAPES))
    return "".join(parts)
