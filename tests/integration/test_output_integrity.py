"""What emb prints, with a hostile or odd configuration: control characters
escaped, strict JSON, no traceback when a standard stream is closed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import emb_env, run_emb, write_tree

# OSC 52 (write the clipboard), a carriage return (overwrite the row), CSI (clear the screen), a C1 CSI.
EVIL = "\x1b]52;c;ZXZpbA==\x07\rinnocent\x1b[2J\x9b31m"


def _evil_repo(tmp_path):
    text = json.dumps(EVIL)  # a YAML double-quoted string: \u escapes
    script = json.dumps("printf '%s\\n' '" + EVIL + "'")
    write_tree(tmp_path, {"api/.keep": "", ".emb.yml": f"""\
        project: {{name: odd}}
        vars: {{BIG: .inf, NOTNUM: .nan}}
        components:
          api:
            tasks:
              t:
                script: {script}
                description: {text}
                executor: local
        tasks:
          hello:
            script: echo hello
            description: {text}
        """})


def _no_controls(text: str) -> bool:
    return not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) < 0xA0 for c in text)


@pytest.mark.parametrize("args", [("tasks",), ("components",), ("run", "--dry-run", "api:t"), ("run", "hello")])
def test_configuration_strings_cannot_drive_the_terminal(tmp_path, args):
    _evil_repo(tmp_path)
    done = run_emb(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _no_controls(done.stdout if args[0] != "run" or "--dry-run" in args else done.stderr), done.stdout
    assert _no_controls(done.stderr)
    if args[0] == "tasks":
        assert "\\x1b]52;c;ZXZpbA==\\x07\\rinnocent" in done.stdout


def test_the_dry_run_line_stays_exact_and_runnable(tmp_path):
    _evil_repo(tmp_path)
    done = run_emb("run", "--dry-run", "api:t", cwd=tmp_path)
    line = done.stdout.strip().splitlines()[-1]
    assert " $'" in line and "\\x1b" in line and "\x1b" not in line  # the script in bash's $'...' form
    ran = subprocess.run(["bash", "-c", line], capture_output=True)
    assert ran.stdout == (EVIL + "\n").encode()


def test_config_print_json_is_strict_json(tmp_path):
    _evil_repo(tmp_path)
    done = run_emb("config", "print", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    data = json.loads(done.stdout, parse_constant=refuse)
    assert data["vars"] == {"BIG": ".inf", "NOTNUM": ".nan"}


@pytest.mark.parametrize("closed", [1, 2])
@pytest.mark.parametrize("args,code", [(("run", "hello"), 0), (("tasks",), 0), (("run", "nosuch"), 2)])
def test_a_closed_standard_stream_is_no_crash(tmp_path, closed, args, code):
    _evil_repo(tmp_path)
    other = subprocess.PIPE
    done = subprocess.run([sys.executable, "-m", "emb", *args], cwd=tmp_path, env=emb_env(),
                          stdout=subprocess.DEVNULL if closed == 2 else other,
                          stderr=subprocess.DEVNULL if closed == 1 else other,
                          pass_fds=(), close_fds=True, timeout=60,
                          preexec_fn=lambda: __import__("os").close(closed))
    assert done.returncode == code
    captured = done.stderr if closed == 1 else done.stdout
    assert b"Traceback" not in (captured or b"")
    # Nothing of the task's output went into the log in place of the closed stream, or vice versa.
    for log in (tmp_path / ".emb").rglob("*.log"):
        if log.is_file() and not log.is_symlink():
            assert b"emb:" not in log.read_bytes()
