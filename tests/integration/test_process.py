"""emb.process against real `sh`: streams, logs, exit codes, signals, no orphans."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emb import process
from emb.process import child, logs, piped
from emb.errors import CannotStart
from emb.process.command import Command
from emb.model import Monorepo
from tests.builders import monorepo
from tests.helpers import live_members

# Runs process.run in a separate Python process, as `emb run` does, so tests
# can signal it, pipe its stdin and read its real stdout/stderr.
DRIVER = """
import json, sys
from pathlib import Path
from emb.process.command import Command
from emb.process import run
spec = json.loads(sys.argv[1])
result = run(Command(argv=tuple(spec["argv"]), env=spec.get("env", {}), cwd=spec.get("cwd")),
             log_path=Path(spec["log"]), quiet=spec.get("quiet", False))
sys.exit(result.exit_code)
"""


def driver(script: str, log: Path, **kw) -> list[str]:
    spec = {"argv": ["sh", "-c", script], "log": str(log), **kw}
    return [sys.executable, "-c", DRIVER, json.dumps(spec)]


def sh(script: str, **kw) -> Command:
    return Command(argv=("sh", "-c", script), **kw)


def wait_for_file(path: Path, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


# ----------------------------------------------------------------- streams and logs


def test_stdout_and_stderr_stay_apart_and_the_log_has_both_in_order(tmp_path, capfd):
    log = tmp_path / "run.log"
    result = process.run(
        sh("echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; sleep 0.05; echo err2 >&2"),
        log_path=log,
    )
    out, err = capfd.readouterr()
    assert result.exit_code == 0
    assert out == "out1\nout2\n"
    assert err == "err1\nerr2\n"
    assert log.read_text() == "out1\nerr1\nout2\nerr2\n"
    assert result.stderr_tail == b"err1\nerr2\n"
    assert result.log_path == log


def test_stdout_then_stderr_written_at_once_are_logged_in_that_order(tmp_path):
    # Both pipes are usually ready together; stdout must be taken first.
    for attempt in range(30):
        log = tmp_path / f"{attempt}.log"
        process.run(sh("echo hello; echo to-stderr >&2"), log_path=log, quiet=True)
        assert log.read_text() == "hello\nto-stderr\n"


def test_bytes_pass_through_unchanged(tmp_path, capfdbinary):
    every_byte = bytes(range(256)) * 3
    (tmp_path / "blob").write_bytes(every_byte)
    result = process.run(sh("cat blob; cat blob >&2", cwd=tmp_path), log_path=tmp_path / "log")
    out, err = capfdbinary.readouterr()
    assert result.exit_code == 0
    assert out == every_byte and err == every_byte
    assert (tmp_path / "log").read_bytes() == every_byte * 2


@pytest.mark.parametrize("script,code", [("exit 0", 0), ("exit 3", 3), ("exit 255", 255), ("kill -TERM $$", 143), ("kill -KILL $$", 137)])
def test_exit_codes_propagate(tmp_path, script, code):
    assert process.run(sh(script), log_path=tmp_path / "log").exit_code == code


def test_env_cwd_and_inherited_environment(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("FROM_EMB", "inherited")
    result = process.run(sh('pwd; echo "$FROM_EMB $EXTRA"', env={"EXTRA": "added"}, cwd=tmp_path), log_path=tmp_path / "log")
    assert result.exit_code == 0
    assert capfd.readouterr().out == f"{tmp_path}\ninherited added\n"


def test_stderr_tail_keeps_the_last_bytes(tmp_path, capfd):
    result = process.run(sh("head -c 100000 /dev/zero | tr '\\0' x >&2; echo THE-END >&2"), log_path=tmp_path / "log")
    capfd.readouterr()
    assert result.stderr_tail.endswith(b"xxxTHE-END\n")
    assert child.STDERR_TAIL <= len(result.stderr_tail) <= 2 * child.STDERR_TAIL


def test_quiet_keeps_the_terminal_clean_but_logs_everything(tmp_path, capfd):
    result = process.run(sh("echo visible; echo also >&2"), log_path=tmp_path / "log", quiet=True)
    assert result.exit_code == 0
    assert capfd.readouterr() == ("", "")
    assert (tmp_path / "log").read_text() == "visible\nalso\n"


def test_the_log_is_appended_to(tmp_path):
    log = tmp_path / "log"
    process.run(sh("echo first"), log_path=log, quiet=True)
    process.run(sh("echo second"), log_path=log, quiet=True)
    assert log.read_text() == "first\nsecond\n"


def test_a_large_stream_reaches_the_log_whole(tmp_path):
    size = 200 * 1000 * 1000
    log = tmp_path / "log"
    with open(os.devnull, "wb") as devnull:
        done = subprocess.run(
            driver(f"head -c {size} /dev/urandom | tee {tmp_path / 'sent'}", log),
            stdout=devnull,
            timeout=120,
        )
    assert done.returncode == 0
    assert log.stat().st_size == size
    assert _sha(log) == _sha(tmp_path / "sent")


@pytest.mark.parametrize("quiet", [False, True])
def test_a_large_stream_into_a_pipe_arrives_whole_on_both_sides(tmp_path, quiet):
    # Into a pipe, past BULK_AFTER, stdout takes the tee/splice path on Linux;
    # stderr written meanwhile must still land in the log and on stderr.
    size = 64 * 1000 * 1000
    log = tmp_path / "log"
    script = f"head -c {size} /dev/urandom | tee {tmp_path / 'sent'}; echo done-on-stderr >&2"
    done = subprocess.run(driver(script, log, quiet=quiet), capture_output=True, timeout=120)
    assert done.returncode == 0
    sent = (tmp_path / "sent").read_bytes()
    assert len(sent) == size
    assert done.stdout == (b"" if quiet else sent)
    assert done.stderr == (b"" if quiet else b"done-on-stderr\n")
    # Two pipes: the log interleaves them in arrival order, not in write order.
    logged = log.read_bytes()
    assert len(logged) == size + len(b"done-on-stderr\n")
    assert logged.replace(b"done-on-stderr\n", b"", 1) == sent


@pytest.mark.parametrize("mode", ["wb", "ab"])
def test_a_large_stream_into_a_file_arrives_whole_in_the_file_and_the_log(tmp_path, mode):
    # emb's stdout a file: `> out` is spliced into, `>> out` (O_APPEND, which
    # splice(2) refuses) is read and written; both must get every byte.
    size = 24 * 1000 * 1000
    log, out, sent = tmp_path / "log", tmp_path / "out", tmp_path / "sent"
    out.write_bytes(b"already there\n")
    with open(out, mode) as f:
        done = subprocess.run(driver(f"head -c {size} /dev/urandom | tee {sent}", log), stdout=f, timeout=120)
    assert done.returncode == 0
    assert len(sent.read_bytes()) == size
    assert out.read_bytes() == (b"already there\n" if mode == "ab" else b"") + sent.read_bytes()
    assert log.read_bytes() == sent.read_bytes()


@pytest.mark.parametrize("stdout", ["devnull", "pipe", "quiet"])
def test_bulk_output_and_stderr_are_logged_in_arrival_order(tmp_path, stdout):
    # Past BULK_AFTER the log is written by a second thread: stderr written
    # meanwhile must reach the log after the stdout bytes that came before it.
    # With stdout /dev/null nothing is forwarded, yet stderr still is.
    script = (
        "head -c 8000000 /dev/zero | tr '\\0' a; echo MARK >&2; sleep 0.3; "
        "head -c 3000000 /dev/zero | tr '\\0' b"
    )
    log = tmp_path / "log"
    with open(os.devnull, "wb") as devnull:
        done = subprocess.run(
            driver(script, log, quiet=stdout == "quiet"),
            stdout=devnull if stdout == "devnull" else subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert done.returncode == 0
    expected_out = b"a" * 8000000 + b"b" * 3000000
    assert done.stdout == (expected_out if stdout == "pipe" else None if stdout == "devnull" else b"")
    assert done.stderr == (b"" if stdout == "quiet" else b"MARK\n")
    assert log.read_bytes() == b"a" * 8000000 + b"MARK\n" + b"b" * 3000000


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_piped_stdin_reaches_the_task(tmp_path):
    done = subprocess.run(
        driver("tr a-z A-Z", tmp_path / "log"), input=b"shout this\n", capture_output=True, timeout=30
    )
    assert done.returncode == 0
    assert done.stdout == b"SHOUT THIS\n"


def test_the_run_ends_with_the_task_even_if_a_background_process_holds_the_pipes(tmp_path, capfd):
    pid_file = tmp_path / "bg.pid"
    started = time.monotonic()
    result = process.run(sh(f"sleep 30 & echo $! > {pid_file}; echo done"), log_path=tmp_path / "log")
    took = time.monotonic() - started
    background = int(pid_file.read_text())
    try:
        assert result.exit_code == 0
        assert took < 5
        assert capfd.readouterr().out == "done\n"
    finally:
        os.kill(background, signal.SIGKILL)


def test_a_closed_reader_stops_the_task_like_a_pipeline(tmp_path):
    # `emb run yes | head -c 5`: the task must get SIGPIPE, not run forever.
    reader = subprocess.Popen(["head", "-c", "5"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    emb = subprocess.Popen(driver("yes", tmp_path / "log"), stdout=reader.stdin)
    reader.stdin.close()
    try:
        assert emb.wait(timeout=30) == 128 + signal.SIGPIPE
    finally:
        emb.kill()
    assert reader.stdout.read() == b"y\ny\ny"


# ----------------------------------------------------------------- cannot start


def test_a_missing_program_cannot_start(tmp_path):
    with pytest.raises(CannotStart) as caught:
        process.run(Command(argv=("no-such-program-xyz",)), log_path=tmp_path / "log")
    assert caught.value.exit_code == 125
    assert "no-such-program-xyz" in caught.value.message


def test_a_missing_folder_cannot_start(tmp_path):
    with pytest.raises(CannotStart) as caught:
        process.run(sh("true", cwd=tmp_path / "gone"), log_path=tmp_path / "log")
    assert "no such folder" in caught.value.message


# ----------------------------------------------------------------- Ctrl+C


def _start_and_get_pgid(tmp_path: Path, script: str):
    pid_file = tmp_path / "task.pid"
    emb = subprocess.Popen(driver(f"echo $$ > {pid_file}; {script}", tmp_path / "log"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pgid = int(wait_for_file(pid_file))  # sh leads its own session: its pid is the group id
    return emb, pgid


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_to_emb_stops_the_whole_tree(tmp_path, signum, code):
    # `sleep 300 &` ignores SIGINT (a background job of a non-interactive sh): it must still go.
    emb, pgid = _start_and_get_pgid(tmp_path, "sleep 300 & sleep 200 & wait")
    try:
        assert live_members(pgid), "the task should be running"
        assert os.getpgid(pgid) != os.getpgid(emb.pid), "the task runs in its own process group"
        started = time.monotonic()
        emb.send_signal(signum)
        assert emb.wait(timeout=15) == code
        assert time.monotonic() - started < GRACE_TOTAL
        assert live_members(pgid) == []
    finally:
        emb.kill()
        _kill_group(pgid)


GRACE_TOTAL = piped.GRACE_TERM + piped.GRACE_KILL + 2


def test_a_task_ignoring_sigint_is_terminated_after_the_grace_period(tmp_path):
    emb, pgid = _start_and_get_pgid(tmp_path, "trap 'echo got-int' INT; while :; do sleep 0.05; done")
    try:
        started = time.monotonic()
        emb.send_signal(signal.SIGINT)
        assert emb.wait(timeout=15) == 130
        took = time.monotonic() - started
        assert piped.GRACE_TERM - 0.5 <= took < GRACE_TOTAL
        assert live_members(pgid) == []
        assert b"got-int" in (tmp_path / "log").read_bytes()
    finally:
        emb.kill()
        _kill_group(pgid)


def test_a_second_ctrl_c_does_not_wait_for_the_grace_period(tmp_path):
    emb, pgid = _start_and_get_pgid(tmp_path, "trap '' INT; while :; do sleep 0.05; done")
    try:
        started = time.monotonic()
        emb.send_signal(signal.SIGINT)
        time.sleep(0.3)
        emb.send_signal(signal.SIGINT)
        assert emb.wait(timeout=15) == 130
        assert time.monotonic() - started < piped.GRACE_TERM
        assert live_members(pgid) == []
    finally:
        emb.kill()
        _kill_group(pgid)


def test_ctrl_c_works_when_the_task_closed_its_output(tmp_path):
    emb, pgid = _start_and_get_pgid(tmp_path, "exec >&- 2>&-; sleep 300")
    try:
        time.sleep(0.2)
        emb.send_signal(signal.SIGINT)
        assert emb.wait(timeout=15) == 130
        assert live_members(pgid) == []
    finally:
        emb.kill()
        _kill_group(pgid)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


# ----------------------------------------------------------------- log files


def _repo(root: Path, flavor: str | None = None) -> Monorepo:
    return monorepo(root, flavor=flavor)


def test_each_run_gets_its_own_log_and_the_stable_link_follows_the_latest(tmp_path):
    repo = _repo(tmp_path)
    first = logs.log_path_for(repo, "api:migrate")
    second = logs.log_path_for(repo, "api:migrate")
    folder = tmp_path / ".emb" / "default" / "logs" / "tasks"
    assert first != second
    assert first.parent == second.parent == folder / "api__migrate"
    assert first.exists() and second.exists()
    stable = folder / "api__migrate.log"
    assert stable.is_symlink()
    assert stable.resolve() == second.resolve()
    assert not os.path.isabs(os.readlink(stable)), "a relative link survives moving the folder"


def test_flavors_log_apart(tmp_path):
    path = logs.log_path_for(_repo(tmp_path, "staging"), "lint")
    assert path.parent == tmp_path / ".emb" / "staging" / "logs" / "tasks" / "lint"


@pytest.mark.parametrize("task_id,name", [("api:migrate", "api__migrate"), ("lint", "lint"), ("my_task", "my_task"),
                                          ("a b/c", "a%20b%2Fc"), ("..", "%2E."), ("a__b", "a%5F%5Fb"),
                                          ("a:_b", "a__%5Fb")])
def test_task_ids_become_safe_file_names(task_id, name):
    assert logs.sanitize_task_id(task_id) == name


def test_two_task_ids_never_share_a_log_folder():
    ids = ["a:b", "a__b", "a_:b", "a:_b", "a___b", "a::b", "a_b", "a%5Fb", "a.b", ".a", "%2Ea"]
    names = [logs.sanitize_task_id(i) for i in ids]
    assert len(set(names)) == len(ids), names


def test_old_runs_are_pruned(tmp_path):
    repo = _repo(tmp_path)
    paths = [logs.log_path_for(repo, "lint") for _ in range(logs.KEEP_RUNS + 5)]
    kept = sorted((paths[0].parent).iterdir())
    assert kept == paths[-(logs.KEEP_RUNS + 1):]  # the new run and the KEEP_RUNS before it


def test_big_old_logs_go_first(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "KEEP_BYTES", 1000)
    repo = _repo(tmp_path)
    small_old = logs.log_path_for(repo, "lint")
    small_old.write_bytes(b"x" * 100)
    big = logs.log_path_for(repo, "lint")
    big.write_bytes(b"x" * 5000)
    small_new = logs.log_path_for(repo, "lint")
    small_new.write_bytes(b"x" * 100)
    latest = logs.log_path_for(repo, "lint")
    assert sorted(latest.parent.iterdir()) == [small_old, small_new, latest]


def test_a_log_still_being_written_is_never_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "KEEP_RUNS", 1)
    monkeypatch.setattr(logs, "KEEP_BYTES", 10)
    repo = _repo(tmp_path)
    running = logs.log_path_for(repo, "lint")
    pid_file = tmp_path / "pid"
    emb = subprocess.Popen(driver(f"head -c 100 /dev/zero; echo $$ > {pid_file}; sleep 30", running), stdout=subprocess.DEVNULL)
    try:
        wait_for_file(pid_file)
        others = [logs.log_path_for(repo, "lint") for _ in range(3)]
        assert running.exists(), "a concurrent run's log was removed while it was being written"
        assert not others[0].exists()  # finished (never opened) and over the budget
    finally:
        emb.kill()
        emb.wait()
        _kill_group(int(pid_file.read_text()))


def test_concurrent_runs_never_share_a_log(tmp_path):
    repo = _repo(tmp_path)
    paths: list[Path] = []
    lock = threading.Lock()

    def make():
        for _ in range(20):
            p = logs.log_path_for(repo, "lint")
            with lock:
                paths.append(p)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(paths)) == 80
    stable = tmp_path / ".emb" / "default" / "logs" / "tasks" / "lint.log"
    assert stable.resolve() in {p.resolve() for p in paths}
