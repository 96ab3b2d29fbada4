"""watch-paths globs, matched as EMB 0.30 matched them (node-glob with `nodir`).

`*` and `?` match within one name, `[...]` (`[!...]`/`[^...]` negated) one
character, `{a,b}` either alternative, `**` any number of folders (none
included; symlinked folders are not entered). Wildcards do not match a name
starting with "." unless that part of the pattern starts with "." too. A
backslash escapes the next character. Folders are never results.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat as st_


def expand(base: str, pattern: str) -> list[tuple[str, str, os.stat_result]]:
    """[(path relative to base, absolute path, lstat)] of the non-folders `pattern` matches."""
    found: list = []
    for alternative in braces(pattern):
        parts = [part for part in alternative.split("/") if part]
        if not parts:
            continue
        if parts[-1] == "**":  # "a/**" is everything below a
            parts.append("*")
        _visit(base, "", parts, 0, found, set())
    return [(posixpath.normpath(rel), path, info) for rel, path, info in found]


def _visit(folder: str, rel: str, parts: list[str], index: int, found: list, seen: set) -> None:
    if (folder, index) in seen:  # several "**" reach the same folder by several routes
        return
    seen.add((folder, index))
    part = parts[index]
    last = index == len(parts) - 1
    if part == "**":  # never last: expand() appended "*"
        _visit(folder, rel, parts, index + 1, found, seen)
        for entry in _entries(folder):
            if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                _visit(entry.path, rel + entry.name + "/", parts, index, found, seen)
        return
    match = segment_matcher(part)
    if isinstance(match, str):  # a plain name (also "." and ".."): no need to list the folder
        path = os.path.join(folder, match)
        if last:
            try:
                info = os.lstat(path)
            except OSError:
                return
            if not st_.S_ISDIR(info.st_mode):
                found.append((rel + match, path, info))
        elif os.path.isdir(path):
            _visit(path, rel + match + "/", parts, index + 1, found, seen)
        return
    for entry in _entries(folder):
        if not match(entry.name):
            continue
        if last:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not st_.S_ISDIR(info.st_mode):
                found.append((rel + entry.name, entry.path, info))
        elif entry.is_dir():
            _visit(entry.path, rel + entry.name + "/", parts, index + 1, found, seen)


def _entries(folder: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda entry: entry.name)
    except OSError:
        return []


def segment_matcher(part: str):
    """The name itself when `part` has no wildcard, else a function matching one name."""
    out, literal = [], []
    magic = False
    i, n = 0, len(part)
    while i < n:
        ch = part[i]
        if ch == "\\" and i + 1 < n:
            out.append(re.escape(part[i + 1]))
            literal.append(part[i + 1])
            i += 2
            continue
        if ch == "*":
            magic = True
            while i + 1 < n and part[i + 1] == "*":
                i += 1
            out.append(".*")
        elif ch == "?":
            magic = True
            out.append(".")
        elif ch == "[" and _class_end(part, i) > 0:
            magic = True
            end = _class_end(part, i)
            out.append(_class(part[i + 1:end]))
            i = end
        else:
            out.append(re.escape(ch))
            literal.append(ch)
        i += 1
    if not magic:
        return "".join(literal)
    regex = re.compile("".join(out), re.DOTALL)
    dots = part.startswith(".")
    return lambda name: (dots or not name.startswith(".")) and regex.fullmatch(name) is not None


def _class_end(part: str, start: int) -> int:
    """Index of the "]" closing the class opened at `start`, or -1.

    A "]" right after "[" or "[!" is a member, as in a shell.
    """
    i = start + 1
    if i < len(part) and part[i] in "!^":
        i += 1
    if i < len(part) and part[i] == "]":
        i += 1
    while i < len(part):
        if part[i] == "\\":
            i += 2
            continue
        if part[i] == "]":
            return i
        i += 1
    return -1


def _class(body: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    members = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            members.append(re.escape(body[i + 1]))
            i += 2
            continue
        members.append("-" if ch == "-" else re.escape(ch))
        i += 1
    return ("[^" if negate else "[") + "".join(members) + "]"


def braces(pattern: str) -> list[str]:
    """Expand `{a,b}` alternatives (nested ones too); a group without a comma stays as written."""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            end, alternatives = _group(pattern, i)
            if end > 0 and len(alternatives) > 1:
                head, tail = pattern[:i], pattern[end + 1:]
                return [result for alternative in alternatives
                        for result in braces(head + alternative + tail)]
        i += 1
    return [pattern]


def _group(pattern: str, start: int) -> tuple[int, list[str]]:
    depth, i, begin = 0, start + 1, start + 1
    alternatives = []
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                alternatives.append(pattern[begin:i])
                return i, alternatives
            depth -= 1
        elif ch == "," and depth == 0:
            alternatives.append(pattern[begin:i])
            begin = i + 1
        i += 1
    return -1, []
