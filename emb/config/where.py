"""Where a configuration value came from, so errors can name the file, the
JSON path inside it and (when the YAML parser knows it) the line.

The loader merges several files (.emb.yml, Embfiles, flavor patches) into one
document; `Origins` maps a path prefix of that merged document back to the
file and the path inside that file it was read from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from emb.errors import ConfigError

PathT = tuple  # a JSON path: tuple of str keys and int indexes


def pointer(path: Iterable) -> str:
    """RFC 6901 JSON pointer for a path ("/" for the whole document)."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


def display(file: Path | str) -> str:
    """A file name as the user knows it: relative to the current folder when inside it."""
    file = Path(file)
    try:
        rel = os.path.relpath(file)
    except ValueError:  # other drive (Windows); keep absolute
        return str(file)
    return str(file) if rel.startswith("..") else rel


def line_of(file: Path, path: Sequence, key: bool = False) -> int | None:
    """1-based line of the node at `path` in a YAML file (of the key itself if `key`).

    Only called when reporting an error, so re-reading the file is fine.
    """
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        node = yaml.compose(Path(file).read_bytes(), Loader=loader)
    except Exception:  # unreadable or unparsable: no line, the message still names the file
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            for knode, vnode in node.value:
                if getattr(knode, "value", None) == str(part):
                    line = (knode if (last and key) else vnode).start_mark.line + 1
                    node = vnode
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def config_error(file: Path | str, path: Sequence = (), message: str = "", hints: Sequence[str] = (),
                 line: int | None = None, find_line: bool = True, key: bool = False) -> ConfigError:
    """One line: `FILE:LINE: at /json/path: message`."""
    if line is None and find_line and path:
        line = line_of(Path(file), path, key=key)
    where = display(file) + (f":{line}" if line else "")
    at = f" at {pointer(path)}:" if path else ""
    return ConfigError(f"{where}:{at} {message}", list(hints))


class Origins:
    """Maps prefixes of the merged document's paths to (file, path inside that file)."""

    def __init__(self, default_file: Path):
        self.default_file = default_file
        self._table: dict[tuple, tuple[Path, tuple]] = {}

    def add(self, prefix: Sequence, file: Path, file_prefix: Sequence = None) -> None:
        prefix = tuple(prefix)
        self._table[prefix] = (file, tuple(prefix if file_prefix is None else file_prefix))

    def locate(self, path: Sequence) -> tuple[Path, tuple]:
        path = tuple(path)
        for n in range(len(path), 0, -1):
            hit = self._table.get(path[:n])
            if hit is not None:
                file, file_prefix = hit
                return file, file_prefix + path[n:]
        return self.default_file, path

    def error(self, path: Sequence, message: str, hints: Sequence[str] = (), key: bool = False) -> ConfigError:
        file, file_path = self.locate(path)
        return config_error(file, file_path, message, hints, key=key)
