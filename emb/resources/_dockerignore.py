"""docker's `.dockerignore` rules: reading the file, compiling its patterns, matching paths.

Written from what docker (CLI >= 23) and BuildKit do, read in moby/patternmatcher
(v0.6: `ignorefile.ReadAll`, `New`, `Pattern.compile`, the three `Matches*`),
tonistiigi/fsutil (`filter.go`: BuildKit's context walker) and moby/go-archive
(`TarWithOptions`: the legacy builder's walker). The quirks are docker's own and
kept on purpose, because a fingerprint must see exactly the files docker sends:

- A line is a comment only when `#` is its very first character; lines are
  trimmed, cleaned like Go's `filepath.Clean`, and a leading `/` is dropped.
- A pattern is an exact path, a prefix (`dir/**`), a suffix (`**/name`: it
  also matches any path that merely *ends* with the text after `**`, so
  `**.log` matches `x.log` and `a/b.log`), or a regular expression where `*`
  and `?` never cross `/` and `**/` stands for any number of folders.
- Later lines win; a `!` line re-includes. Matching a folder excludes what is
  below it, through the walker's record of which patterns matched the parent
  (`MatchesUsingParentResults`), not by re-testing every ancestor: a pattern
  that was skipped for the parent (it could not change the answer there) is
  not inherited by the children.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterable, Sequence

from emb.errors import ConfigError

EXACT, PREFIX, SUFFIX, REGEX = range(4)

_BOM = b"\xef\xbb\xbf"
# Go's strings.TrimSpace (unicode.IsSpace); Python's str.strip() would also eat \x1c-\x1f.
_GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
             "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Characters patternmatcher escapes before handing the pattern to the regexp engine.
_REGEX_META = frozenset(".+()|{}$")
# fsutil: an exception whose text holds one of these forces the walk into every excluded folder.
_GLOB_CHARS = frozenset("*[]?^\\")
# RE2's POSIX classes ([[:alpha:]]), spelled for Python's re (which has none).
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_HINT = "see https://docs.docker.com/build/concepts/context/#dockerignore-files"


def go_clean(path: str) -> str:
    """Go's `filepath.Clean` on a slash path (normpath keeps a leading `//`; Go does not)."""
    cleaned = posixpath.normpath(path) if path else "."
    return cleaned[1:] if cleaned.startswith("//") else cleaned


def read_ignore_file(data: bytes) -> list[str]:
    """The patterns of an ignore file, as `ignorefile.ReadAll` returns them."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    patterns = []
    for number, raw in enumerate(lines):
        if raw.endswith(b"\r"):  # bufio.ScanLines drops one trailing \r
            raw = raw[:-1]
        if number == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        line = raw.decode("utf-8", "surrogateescape")
        if line.startswith("#"):  # only in column 1: " # x" is a pattern
            continue
        line = line.strip(_GO_SPACE)
        if not line:
            continue
        invert = line[0] == "!"
        if invert:
            line = line[1:].strip(_GO_SPACE)
        if line:
            line = go_clean(line)
            if len(line) > 1 and line[0] == "/":
                line = line[1:]
        patterns.append("!" + line if invert else line)
    return patterns


class Pattern:
    """One compiled pattern; `match(path)` is truthy when the slash path matches it."""

    __slots__ = ("text", "exclusion", "kind", "match", "ndirs", "python")

    def __init__(self, text: str, exclusion: bool, source: str = ".dockerignore"):
        self.text = text  # cleaned, without the leading "!"
        self.exclusion = exclusion
        self.ndirs = text.count("/") + 1
        self.kind, self.match, self.python = _compile(text, source)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        kind = ("exact", "prefix", "suffix", "regex")[self.kind]
        return f"Pattern({'!' if self.exclusion else ''}{self.text!r}, {kind})"


def compile_patterns(lines: Iterable[str], source: str = ".dockerignore") -> tuple[Pattern, ...]:
    """patternmatcher.New: trim, clean, split off `!`, check the syntax, compile."""
    compiled = []
    for line in lines:
        text = line.strip(_GO_SPACE)
        if not text:
            continue
        text = go_clean(text)
        exclusion = text[0] == "!"
        if exclusion:
            if len(text) == 1:
                raise ConfigError(f'{source}: illegal exclusion pattern "!"', hints=[_HINT])
            text = text[1:]
        problem = _syntax_error(text)
        if problem:
            raise ConfigError(f"{source}: bad pattern {text!r}: {problem}", hints=[_HINT])
        compiled.append(Pattern(text, exclusion, source))
    return tuple(compiled)


def _syntax_error(pattern: str) -> str | None:
    """What Go's filepath.Match finds wrong with the pattern (patternmatcher.New asks it), or None."""
    i, n = 0, len(pattern)

    def class_char(i: int) -> int:  # getEsc: one (maybe escaped) character of a range; -1 when bad
        if i >= n or pattern[i] in "-]":
            return -1
        if pattern[i] == "\\":
            i += 1
            if i >= n:
                return -1
        i += 1
        return i if i < n else -1  # something must follow (at least the closing "]")

    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                return "a trailing backslash escapes nothing"
            i += 2
        elif ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while not (i < n and pattern[i] == "]" and ranges):
                i = class_char(i)
                if i < 0:
                    return "malformed character class"
                if pattern[i] == "-":
                    i = class_char(i + 1)
                    if i < 0:
                        return "malformed character range"
                ranges += 1
            i += 1
        else:
            i += 1
    return None


def _compile(pattern: str, source: str):
    """patternmatcher's Pattern.compile: the kind of match and a function doing it."""
    go = []  # the regular expression patternmatcher builds, in RE2 syntax, piece by piece
    kind = EXACT
    pos, n, first = 0, len(pattern), True
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":
                    pos += 1
                if pos >= n:  # "**" at the end matches everything below
                    if kind == EXACT:
                        kind = PREFIX
                    else:
                        go.append(".*")
                        kind = REGEX
                else:
                    go.append("(.*/)?")
                    kind = REGEX
                if first:
                    kind = SUFFIX
            else:
                go.append("[^/]*")
                kind = REGEX
        elif ch == "?":
            go.append("[^/]")
            kind = REGEX
        elif ch in _REGEX_META:
            go.append("\\" + ch)
        elif ch == "\\":
            if pos < n:
                go.append("\\" + pattern[pos])
                pos += 1
                kind = REGEX
            else:  # unreachable: the syntax check refuses a trailing backslash
                go.append("\\\\")
        elif ch in "[]":
            go.append(ch)
            kind = REGEX
        else:
            go.append(ch)
        first = False

    # Each kind also as a Python expression for fullmatch, so that Matcher can join them.
    if kind == EXACT:
        return kind, pattern.__eq__, re.escape(pattern)
    if kind == PREFIX:
        prefix = pattern[:-2]
        return kind, lambda path: path.startswith(prefix), f"(?s:{re.escape(prefix)}.*)"
    if kind == SUFFIX:
        suffix = pattern[2:]
        bare = suffix[1:] if suffix.startswith("/") else None  # "**/foo" also matches "foo"
        python = f"(?s:.*{re.escape(suffix)})" + (f"|{re.escape(bare)}" if bare is not None else "")
        return kind, lambda path: path.endswith(suffix) or path == bare, python
    try:
        python = _re2_to_python("".join(go))
        regex = re.compile(python, re.ASCII)
    except (re.error, ValueError) as exc:
        raise ConfigError(f"{source}: bad pattern {pattern!r}: {exc}", hints=[_HINT]) from None
    return kind, regex.fullmatch, python  # Go anchors with ^...$, where $ is the end of the text


def _re2_to_python(go: str) -> str:
    """Spell the RE2 expression patternmatcher built as a Python expression meaning the same.

    They differ inside character classes ("[" is literal in both but Python
    warns, POSIX classes), for escaped letters, and `$`/`\\z`.
    """
    out = []
    i, n = 0, len(go)
    in_class, class_len = False, 0
    while i < n:
        ch = go[i]
        if ch == "\\":
            out.append(_escape(go[i + 1], in_class))
            i += 2
            class_len += 1
            continue
        if in_class:
            if ch == "]" and class_len:
                out.append("]")
                in_class = False
            elif ch == "^" and class_len == 0:
                out.append("^")  # negation: does not count as a member
                i += 1
                continue
            elif ch == "[" and go.startswith("[:", i):
                end = go.find(":]", i + 2)
                if end < 0:  # RE2 reads "[:" as two members when no ":]" follows
                    out.append("\\[")
                    i += 1
                    class_len += 1
                    continue
                name = go[i + 2:end]
                negate = name.startswith("^")
                members = _POSIX_CLASSES.get(name.lstrip("^"))
                if members is None:
                    raise ValueError(f"unknown POSIX class [:{name}:]")
                if negate:  # [[:^alpha:]] inside a larger class has no Python spelling
                    raise ValueError("negated POSIX classes are not supported by emb")
                out.append(members)
                i = end + 2
                class_len += 1
                continue
            elif ch == "-":
                out.append("-")
            else:
                out.append(re.escape(ch))
            class_len += 1
        elif ch == "[":
            out.append("[")
            in_class, class_len = True, 0
        elif ch == "]":
            out.append("\\]")
        else:
            out.append(ch)  # the pieces patternmatcher wrote, and "^" (an anchor in both)
        i += 1
    return "".join(out)


def _escape(ch: str, in_class: bool) -> str:
    """An RE2 escape `\\ch` in Python's syntax (ValueError where they part ways)."""
    if not ch.isascii():
        raise ValueError(f"invalid escape \\{ch}")
    if not ch.isalnum():
        return re.escape(ch) if ch != "\\" else "\\\\"
    if ch in "dDsSwW" or ch in "afnrtv":
        return "\\" + ch
    if not in_class and ch in "bBA":
        return "\\" + ch
    if not in_class and ch == "z":
        return "\\Z"
    raise ValueError(f"escape \\{ch} is not supported")


# -- matching: the three ways docker asks ------------------------------------------------

class Matcher:
    """matches_with_parent for a walker, with a shortcut for the common case.

    While no pattern has matched, exceptions are not even evaluated; so when no
    inclusion pattern matches a path (one regular expression joining them all
    tells), the path is sent and every per-pattern result is False. `nothing` is
    that all-False result, shared so that a child can see it by identity.
    """

    def __init__(self, patterns: Sequence[Pattern]):
        self.patterns = tuple(patterns)
        self.nothing = (False,) * len(self.patterns)
        inclusions = [p.python for p in self.patterns if not p.exclusion]
        if inclusions:
            self._may_match = re.compile("|".join(f"(?:{x})" for x in inclusions), re.ASCII).fullmatch
        else:
            self._may_match = lambda path: None

    def child(self, path: str, parent: tuple | None) -> tuple[bool, tuple]:
        """(excluded, per-pattern results) of `path`, given its folder's results (None at the top)."""
        nothing = self.nothing
        if (parent is nothing or (parent is None and "/" not in path)) and not self._may_match(path):
            return False, nothing
        excluded, results = matches_with_parent(self.patterns, path, parent)
        return excluded, results if True in results else nothing


def matches_with_parent(patterns: Sequence[Pattern], path: str,
                        parent: tuple | None) -> tuple[bool, tuple]:
    """MatchesUsingParentResults: `parent` is what the parent folder's call returned (None at the top).

    Returns (excluded, this path's per-pattern results, to hand to its children).
    """
    matched = False
    results = []
    append = results.append
    for index, pattern in enumerate(patterns):
        hit = parent is not None and parent[index]
        if not hit:
            if pattern.exclusion != matched:  # it could not change the answer: not evaluated
                append(False)
                continue
            hit = bool(pattern.match(path))
            if not hit and parent is None and "/" in path:
                hit = _parent_matches(pattern, path)
        append(hit)
        if hit:
            matched = not pattern.exclusion
    return matched, tuple(results)


def matches_or_parent_matches(patterns: Sequence[Pattern], path: str) -> bool:
    """MatchesOrParentMatches: the path, or any folder above it, decides."""
    path = go_clean(path)
    if path == ".":
        return False
    matched = False
    for pattern in patterns:
        if pattern.exclusion != matched:
            continue
        if pattern.match(path) or ("/" in path and _parent_matches(pattern, path)):
            matched = not pattern.exclusion
    return matched


def matches_one_parent(patterns: Sequence[Pattern], path: str) -> bool:
    """The deprecated `Matches`: only the ancestor as deep as the pattern is tested.

    docker's legacy-builder CLI still uses it to decide whether to re-include
    the Dockerfile and .dockerignore.
    """
    path = go_clean(path)
    if path == ".":
        return False
    parts = path.split("/")[:-1]
    matched = False
    for pattern in patterns:
        if pattern.exclusion != matched:
            continue
        hit = pattern.match(path)
        if not hit and parts and pattern.ndirs <= len(parts):
            hit = pattern.match("/".join(parts[:pattern.ndirs]))
        if hit:
            matched = not pattern.exclusion
    return matched


def _parent_matches(pattern: Pattern, path: str) -> bool:
    parts = path.split("/")[:-1]
    return any(pattern.match("/".join(parts[:depth])) for depth in range(1, len(parts) + 1))


# -- which excluded folders a walker still enters ----------------------------------------

def folder_rule(patterns: Sequence[Pattern], buildkit: bool):
    """A function telling whether the walker enters an excluded folder (it may hold exceptions).

    BuildKit (fsutil): enter when some exception, without a trailing `/**` or
    `/*`, starts with the folder, or when any exception holds a glob character
    (then no folder can be ruled out). Legacy builder (go-archive): enter when
    an exception's text starts with the folder, globs or not, so `!**/keep`
    re-includes nothing under an excluded folder.
    """
    exceptions = [p.text for p in patterns if p.exclusion]
    if not exceptions:
        return lambda folder: False
    if buildkit:
        exceptions = [_without_trailing_glob(text) for text in exceptions]
        if any(_GLOB_CHARS.intersection(text) for text in exceptions):
            return lambda folder: True
    prefixes = tuple(text + "/" for text in exceptions)
    return lambda folder: any(prefix.startswith(folder + "/") for prefix in prefixes)


def _without_trailing_glob(text: str) -> str:
    if text.endswith("/**"):
        text = text[:-3]
    if text.endswith("/*"):
        text = text[:-2]
    return text
