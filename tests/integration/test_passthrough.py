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
