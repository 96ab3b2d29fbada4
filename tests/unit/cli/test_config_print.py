"""`emb config print` YAML: readable (scripts as blocks) and the same data as --json."""

import yaml

from emb.cli.config import to_yaml

TRICKY = {
    "plain": "one line",
    "script": "echo one\nfor x in a b; do\n  echo $x\ndone\n",
    "trailing spaces": "a  \nb\n",
    "leading spaces": "  indented\nnext\n",
    "no final newline": "a\nb",
    "tabs and quotes": "\tx='1'\n\"y\"\n",
    "unicode": "héllo\n→ wörld\n",
    "nested": {"list": ["x\ny\n", "z"]},
}


def test_yaml_round_trips_every_kind_of_string():
    assert yaml.safe_load(to_yaml(TRICKY)) == TRICKY


def test_multi_line_scripts_print_as_blocks():
    out = to_yaml({"script": "echo one\necho two\n"})
    assert out == "script: |\n  echo one\n  echo two\n"
