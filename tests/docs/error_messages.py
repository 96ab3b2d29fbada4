"""The error messages emb can print, read from its source with `ast`.

Every call that builds an error — `ConfigError(...)`, `UsageError(...)`,
`CannotStart(...)`, `EmbError(...)` and the config layer's error factories
(`error(...)`, `config_error(...)`, `emb_error(...)`) — contributes its
message. A message is reduced to its longest literal piece (the text between
the `{...}` of an f-string), which is what tests/docs/test_troubleshooting.py
looks for in docs/troubleshooting.md.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "emb"
ERROR_CALLS = {"ConfigError", "UsageError", "CannotStart", "EmbError", "SecretError",
               "error", "config_error", "emb_error"}
MIN_KEY = 8  # shorter literal pieces ("task ", " failed") say nothing on their own


@dataclass(frozen=True)
class Message:
    where: str  # emb/kube.py:330
    skeleton: str  # the message with {…} for the computed parts
    key: str  # its longest literal piece, stripped


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _skeletons(node: ast.expr) -> list[list[str | None]]:
    """A string expression as lists of literal pieces, None for computed parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [[node.value]]
    if isinstance(node, ast.JoinedStr):
        parts: list[str | None] = []
        for value in node.values:
            parts.append(value.value if isinstance(value, ast.Constant) else None)
        return [parts]
    if isinstance(node, ast.IfExp):
        return _skeletons(node.body) + _skeletons(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _skeletons(node.left) for b in _skeletons(node.right)] or \
            _skeletons(node.left) or _skeletons(node.right)
    return []


def messages(package: Path = PACKAGE) -> list[Message]:
    found: list[Message] = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "errors.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        rel = path.relative_to(package.parent)
        if path.name == "validate.py":
            # Schema errors are built as `return path, message, hints, ...` tuples.
            for ret in ast.walk(tree):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple) and len(ret.value.elts) > 1:
                    for parts in _skeletons(ret.value.elts[1]):
                        _add(found, f"{rel}:{ret.lineno}", parts)
                # ...or first assigned to `message`.
                if isinstance(ret, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "message"
                                                       for t in ret.targets):
                    for parts in _skeletons(ret.value):
                        _add(found, f"{rel}:{ret.lineno}", parts)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _name(call.func) not in ERROR_CALLS:
                continue
            # The message is the first string-like positional argument (paths and files come first
            # in the factories' signatures and are not strings; hints are lists).
            for arg in call.args:
                shapes = _skeletons(arg)
                if shapes:
                    for parts in shapes:
                        _add(found, f"{rel}:{call.lineno}", parts)
                    break
    return found


def _add(found: list[Message], where: str, parts: list[str | None]) -> None:
    literals = [p.strip() for p in parts if p]
    key = max(literals, key=len, default="")
    if len(key) >= MIN_KEY:
        skeleton = "".join(p if p is not None else "{…}" for p in parts)
        found.append(Message(where, skeleton, key))


if __name__ == "__main__":
    for m in messages():
        print(f"{m.where}\t{m.key!r}\t{m.skeleton}")
