"""Reading YAML: text kept as written, hostile documents refused with the line, never a traceback."""

from __future__ import annotations

import time

import pytest

from emb.errors import ConfigError


def test_unquoted_values_keep_their_text(repo):
    repo.write({".emb.yml": """\
project: {name: x}
vars: {TIME: 12:30, MODE: 0755, VERSION: 1.10, COUNT: 1_000, PORT: 8080, RATIO: 1.5, DAY: 2024-01-01, FLAG: on}
tasks:
  t: {script: echo, interactive: true}
"""})
    m = repo.load()
    written = {"TIME": "12:30", "MODE": "0755", "VERSION": "1.10", "COUNT": "1_000",
               "PORT": "8080", "RATIO": "1.5", "DAY": "2024-01-01", "FLAG": "on"}
    # As text, every value is what was written (8080 and 1.5 may be typed: they read back the same).
    assert {k: str(v) for k, v in m.resolved["vars"].items()} == written
    assert all(isinstance(m.resolved["vars"][k], str) for k in ("TIME", "MODE", "VERSION", "COUNT", "DAY", "FLAG"))
    assert m.tasks["t"].interactive is True  # a schema boolean is still one


def test_keys_under_a_merge_stay_text(repo):
    # PyYAML's own merge made a variable named `on` the boolean True.
    repo.write({".emb.yml": """\
project: {name: x}
vars: &v {on: "1", off: "2"}
env:
  <<: *v
  yes: "3"
tasks: {t: {script: echo}}
"""})
    m = repo.load()
    assert m.resolved["env"] == {"on": "1", "off": "2", "yes": "3"}


@pytest.mark.parametrize("doc,line,message", [
    ("project: {name: x}\ntasks:\n  deploy: {script: a}\n  deploy: {script: b}\n", 4, "duplicate key 'deploy' (first on line 3)"),
    ("project: {name: x}\n? [a, b]\n: 1\n", 2, "a mapping key must be plain text"),
    ('project: {name: x}\nvars: {A: "x\\0y"}\n', 2, "NUL character"),
    ("project: {name: x}\ntasks: {t: {script: \"a\\0b\"}}\n", 2, "NUL character"),
    ("project: {name: x}\nvars: " + "[" * 600 + "]" * 600 + "\n", 2, "nested more than 100 levels deep"),
    ("project: {name: x}\nvars: {A: !!binary aGk=}\n", 2, "unsupported tag"),
    ("project: {name: x}\n? !!binary aGk=\n: 1\n", 2, "unsupported tag tag:yaml.org,2002:binary on a key"),
    ("project: {name: x}\nvars: {A: \"\x00\"}\n", 2, "unacceptable character #x0000"),
])
def test_bad_documents_are_one_error_with_the_line(repo, doc, line, message):
    repo.write({".emb.yml": doc})
    err = repo.error()
    assert message in err.message
    assert f".emb.yml:{line}:" in err.message


def test_an_alias_bomb_is_refused_quickly(repo):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    doc = "project: {name: x}\nx:\n" + "".join(f"  {line}\n" for line in levels)
    assert len(doc.encode()) < 600
    repo.write({".emb.yml": doc})
    started = time.monotonic()
    err = repo.error()
    assert "builds more than" in err.message
    assert time.monotonic() - started < 5


def test_shared_anchors_are_independent_copies(repo):
    repo.write({".emb.yml": """\
project: {name: x}
components:
  api: {tasks: &t {build: {script: make}}}
  web: {tasks: *t}
"""})
    m = repo.load()
    assert m.tasks["api:build"].script == m.tasks["web:build"].script == "make"


def test_a_nul_in_a_dotenv_file_is_an_error_with_the_line(repo):
    repo.write({".emb.yml": "project: {name: x}\nplugins: [dotenv]\n", ".env": "A=1\nB=x\0y\n"})
    err = repo.error()
    assert ".env:2: cannot export 'B'" in err.message
