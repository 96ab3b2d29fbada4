"""The docs example runner itself: parsing, exit codes, `echo $?`, wildcards.
If it accepted wrong output or exit codes, every docs example test would pass vacuously."""

from __future__ import annotations

import os

import pytest

from tests.docs.doc_examples import parse, run_block, verify


def block_of(tmp_path, text):
    page = tmp_path / "page.md"
    page.write_text(text)
    (block,) = parse(page)
    return block


def check(tmp_path, text):
    block = block_of(tmp_path, text)
    return verify(block, run_block(block, tmp_path, dict(os.environ)))


def test_parse_commands_outputs_and_continuations(tmp_path):
    block = block_of(tmp_path, "```sh\n$ ignored\n```\n\n```console\n$ echo a \\\n  b\na b\n$ true\n```\n")
    assert [c.text for c in block.commands] == ["echo a \\\n  b", "true"]
    assert block.commands[0].expected == ["a b"] and block.commands[1].expected == []
    assert block.line == 5


def test_continuation_prompt_lines_belong_to_the_command(tmp_path):
    text = "```console\n$ for i in 1 2; do\n>   echo $i\n> done\n1\n2\n```\n"
    block = block_of(tmp_path, text)
    assert block.commands[0].text == "for i in 1 2; do\n  echo $i\ndone"
    assert check(tmp_path, text) == []


def test_matching_output_and_wildcards_pass(tmp_path):
    assert check(tmp_path, "```console\n$ printf 'one\\ntwo 42 s\\nthree\\n'\none\n...\ntwo ... s\n```\n") == []


@pytest.mark.parametrize("text, problem", [
    ("```console\n$ echo actual\nexpected\n```\n", "expected line not found: 'expected'"),
    ("```console\n$ printf 'b\\na\\n'\na\nb\n```\n", "expected line not found: 'b'"),  # order matters
    ("```console\n$ sh -c 'exit 3'\n```\n", "exited 3"),
    ("```console\n$ (exit 3)\n$ echo $?\n4\n```\n", "expected line not found: '4'"),
])
def test_wrong_output_or_exit_status_is_reported(tmp_path, text, problem):
    problems = check(tmp_path, text)
    assert problems and problem in problems[0]


def test_documented_failure_status_passes_and_state_carries_over(tmp_path):
    text = "```console\n$ (exit 3)\n$ echo $?\n3\n$ export X=1; cd /\n$ echo $X $PWD\n1 /\n```\n"
    assert check(tmp_path, text) == []


def test_stdin_is_closed(tmp_path):
    assert check(tmp_path, "```console\n$ cat; echo done\ndone\n```\n") == []
