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


# --------------------------------------------------------------- secrets never shown


@pytest.fixture
def secret():
    from emb import redact

    redact.register("hunter2's3cret")
    yield "hunter2's3cret"
    redact.forget_all()


def test_json_events_and_the_dry_run_mask_known_secrets(secret, capsys):
    import json

    from emb.flow.report import Reporter, plan_item, plan_text
    from emb.model import Task

    task = Task(id="deploy", name="deploy", script="x")
    cmd = Command(argv=("sh", "-c", f"curl -H 'token: {secret}' x"), env={"TOKEN": secret, "MODE": "fast"})
    Reporter(as_json=True, quiet=False).start(task, "local", cmd)
    event = json.loads(capsys.readouterr().err)
    assert secret not in json.dumps(event) and "***" in event["argv"][2]
    item = plan_item(task, "local", cmd)
    assert item["env"] == {"TOKEN": "***", "MODE": "fast"}
    assert secret not in json.dumps(item)
    text = plan_text(item, 1, 1)
    assert secret not in text and "env TOKEN='***' MODE=fast sh -c" in text


def test_errors_mask_secrets_and_escape_control_characters(secret, capsys):
    from emb.cli.common import print_error
    from emb.errors import EmbError

    print_error(EmbError(f"bad value {secret}\x1b]52;c;eA==\x07", [f"try {secret}\r"]))
    err = capsys.readouterr().err
    assert secret not in err and "\x1b" not in err and "\r" not in err
    assert "bad value ***\\x1b]52;c;eA==\\x07" in err and "hint: try ***\\r" in err


def test_table_cells_are_one_line_each():
    from emb.cli.common import table

    out = table(["NAME", "DESCRIPTION"], [["a", "line one\nline two\r\x1b[2J"]], width=200)
    assert out.splitlines()[1] == "a     line one\\nline two\\r\\x1b[2J"
