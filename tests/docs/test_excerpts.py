"""YAML shown as an excerpt of the example monorepo is really in it.

A ```yaml block preceded by `<!-- excerpt of: PATH -->` must be a part of
PATH's YAML: every key it shows exists there with the same value (lists
equal; a string that contains `...` only has to start the same way), so the
pages cannot show configuration the example does not have.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.docs.doc_examples import DOCS, TOP

EXCERPT = re.compile(r"<!-- excerpt of: (\S+) -->\n```yaml\n(.*?)^```", re.S | re.M)


def excerpts():
    for page in sorted(DOCS.glob("*.md")):
        for m in EXCERPT.finditer(page.read_text()):
            line = page.read_text()[:m.start()].count("\n") + 1
            yield pytest.param(m.group(1), m.group(2), id=f"{page.name}:{line}")


def is_part(shown, real, where="") -> list[str]:
    """Differences between an excerpt and the real document (empty when it is a part of it)."""
    if isinstance(shown, dict):
        if not isinstance(real, dict):
            return [f"{where or '/'}: shown as a mapping, is {type(real).__name__}"]
        out = []
        for key, value in shown.items():
            if key not in real:
                out.append(f"{where}/{key}: not in the file")
            else:
                out += is_part(value, real[key], f"{where}/{key}")
        return out
    if isinstance(shown, str) and "..." in shown and isinstance(real, str):
        head = shown.split("...", 1)[0]
        return [] if real.startswith(head) else [f"{where}: {real!r} does not start with {head!r}"]
    if shown == "..." or shown == real:
        return []
    return [f"{where}: shown {shown!r}, is {real!r}"]


EXCERPTS = list(excerpts())


@pytest.mark.parametrize("path, text", EXCERPTS)
def test_excerpt_matches_the_example(path, text):
    shown = yaml.safe_load(text)
    real = yaml.safe_load((TOP / path).read_text())
    assert is_part(shown, real) == []


def test_excerpts_are_found():
    assert len(EXCERPTS) >= 4


def test_a_wrong_excerpt_is_caught():
    real = {"kubernetes": {"namespace": "default"}, "tasks": {"a": {"script": "echo 1\necho 2\n"}}}
    assert is_part({"kubernetes": {"namespace": "default"}}, real) == []
    assert is_part({"tasks": {"a": {"script": "echo 1\n..."}}}, real) == []
    assert is_part({"kubernetes": {"namespace": "staging"}}, real)
    assert is_part({"kubernetes": {"context": "x"}}, real)
    assert is_part({"tasks": {"a": {"script": "echo 3\n..."}}}, real)
