"""What emb says about a run: the --dry-run command line, durations."""

from __future__ import annotations

import pytest

from emb.flow.report import command_line, duration_text
from emb.process.command import Command


@pytest.mark.parametrize(
    "env,argv,line",
    [
        ({}, ("sh", "-c", "echo hi"), "sh -c 'echo hi'"),
        ({"A": "x y"}, ("sh", "-c", "echo $A"), "env A='x y' sh -c 'echo $A'"),
        ({"Q": "it's"}, ("true",), "env Q='it'\"'\"'s' true"),
    ],
)
def test_command_line_is_runnable_shell(env, argv, line):
    assert command_line(Command(argv=argv, env=env)) == line


def test_durations_read_well_at_every_scale():
    assert duration_text(0.0034) == "3 ms"
    assert duration_text(0.999) == "999 ms"
    assert duration_text(1.5) == "1.50s"
    assert duration_text(125) == "2m05s"
