"""emb.process.passthrough: a tool's output reaches the user; its stderr tail comes back."""

import subprocess
import sys
import textwrap


def run_passthrough(script: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        import sys
        from emb.process import passthrough
        code, tail = passthrough(["sh", "-c", {script!r}])
        sys.stdout.flush()
        print("CODE", code, "TAIL", tail.decode().splitlines())
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)


def test_stdout_and_all_stderr_pass_through_and_the_last_lines_come_back():
    out = run_passthrough('echo out; for i in $(seq 1 30); do echo "err $i" >&2; done; exit 4')
    assert out.stdout.splitlines()[0] == "out"
    assert out.stderr.splitlines() == [f"err {i}" for i in range(1, 31)]
    assert out.stdout.splitlines()[1] == "CODE 4 TAIL " + str([f"err {i}" for i in range(11, 31)])


def test_success_returns_zero():
    out = run_passthrough("echo fine")
    assert out.stdout.splitlines() == ["fine", "CODE 0 TAIL []"]


def test_which_finds_programs_on_path_and_by_path(tmp_path, monkeypatch):
    from emb.process import which

    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    plain = tmp_path / "plain"
    plain.write_text("not executable")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"/nonexistent:{tmp_path}")
    assert which("tool") == str(tool)
    assert which("plain") is None  # not executable
    assert which(str(tool)) == str(tool)
    assert which(str(tmp_path / "missing")) is None
    assert which("sh") is None  # /bin is not on this PATH
