"""emb.process when things go wrong: a log writer that falls behind, a log that
cannot be written, signals during lookups and passthrough, state folders a
repository planted. Real sh, real files, real signals."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emb import process, state
from emb.errors import CannotStart
from emb.process import logs
from emb.process.command import Command
from tests.builders import monorepo
from tests.helpers import emb_env, live_members, run_emb, write_tree

SEQ = 1_500_000  # `seq 1 SEQ` is ~10.9 MB: past piped.BULK_AFTER, so tee/splice and the log thread are used


def seq_bytes(n: int = SEQ) -> bytes:
    return "".join(f"{i}\n" for i in range(1, n + 1)).encode()


# The log thread is held back until the main thread has to wait for room in
# the log pipe (or closes it): the log pipe is full whenever the child's last
# bytes are copied. Before the fix, the main thread either blocked in tee(2)
# for ever or took tee's EAGAIN ("the log pipe is full") for the end of the
# output and lost its tail.
HELD_DRIVER = """
import json, sys, threading
from pathlib import Path
from emb.process import piped, run
from emb.process.command import Command

release = threading.Event()

class HeldLogThread(piped._LogThread):
    def _run(self):
        release.wait()
        super()._run()

    def wait_room(self):
        release.set()
        super().wait_room()

    def close(self):
        release.set()
        super().close()

piped._LogThread = HeldLogThread
spec = json.loads(sys.argv[1])
result = run(Command(argv=tuple(spec["argv"])), log_path=Path(spec["log"]), quiet=spec["quiet"])
sys.exit(result.exit_code)
"""

DRIVER = """
import json, sys
from pathlib import Path
from emb.process import run
from emb.process.command import Command
spec = json.loads(sys.argv[1])
result = run(Command(argv=tuple(spec["argv"])), log_path=Path(spec["log"]), quiet=False)
print("log_complete=%s" % result.log_complete, file=sys.stderr)
sys.exit(result.exit_code)
"""


@pytest.mark.parametrize("quiet", [False, True])
def test_output_is_whole_when_the_log_writer_is_behind(tmp_path, quiet):
    log = tmp_path / "run.log"
    spec = {"argv": ["sh", "-c", f"seq 1 {SEQ}; exit 7"], "log": str(log), "quiet": quiet}
    done = subprocess.run([sys.executable, "-c", HELD_DRIVER, json.dumps(spec)],
                          capture_output=True, timeout=60)
    assert done.returncode == 7, done.stderr
    expected = seq_bytes()
    assert done.stdout == (b"" if quiet else expected)
    assert log.read_bytes() == expected


def test_output_is_whole_twenty_times_under_load(tmp_path):
    """CPU hogs on both cores and a disk writer: stdout and log byte-exact every run."""
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2)]
    writer = subprocess.Popen(["sh", "-c", f"while :; do dd if=/dev/zero of={tmp_path}/load bs=1M count=64 "
                                           "conv=fsync 2>/dev/null; done"])
    expected = seq_bytes()
    try:
        for attempt in range(20):
            log = tmp_path / f"run{attempt}.log"
            spec = {"argv": ["sh", "-c", f"seq 1 {SEQ}"], "log": str(log)}
            done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(spec)], capture_output=True, timeout=120)
            assert done.returncode == 0, done.stderr
            assert done.stdout == expected, f"run {attempt}: stdout differs ({len(done.stdout)} bytes)"
            assert log.read_bytes() == expected, f"run {attempt}: log differs"
    finally:
        for p in (*hogs, writer):
            p.kill()
            p.wait()


# ----------------------------------------------------------------- a log that cannot be written


def _limit_file_size(limit: int):
    # RLIMIT_FSIZE: a real write failure (EFBIG) past `limit` bytes of any file,
    # as a full disk gives ENOSPC; Python ignores SIGXFSZ, so the write just fails.
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("lines", [20_000, SEQ], ids=["read-write", "bulk"])
def test_a_log_that_cannot_be_written_never_cuts_the_output(tmp_path, lines):
    log = tmp_path / "run.log"
    spec = {"argv": ["sh", "-c", f"seq 1 {lines}; echo bye >&2; exit 3"], "log": str(log)}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(spec)], capture_output=True, timeout=60,
                          preexec_fn=_limit_file_size(64 * 1024))
    assert done.returncode == 3, done.stderr
    assert done.stdout == seq_bytes(lines)
    err = done.stderr.decode()
    assert "Traceback" not in err
    assert err.count("emb: warning: the log") == 1 and "is incomplete" in err
    assert "bye\n" in err and "log_complete=False" in err
    assert log.stat().st_size <= 64 * 1024


def test_emb_run_keeps_the_task_exit_code_when_the_log_fails(tmp_path):
    write_tree(tmp_path, {".emb.yml": f"""\
        project: {{name: full}}
        tasks:
          big: {{script: "seq 1 {SEQ}; exit 4"}}
        """})
    env = emb_env()
    run_emb("tasks", cwd=tmp_path, env=env)  # caches written before the limit applies
    done = subprocess.run([sys.executable, "-m", "emb", "run", "big"], cwd=tmp_path, env=env, capture_output=True,
                          timeout=60, preexec_fn=_limit_file_size(256 * 1024))
    assert done.returncode == 4
    assert done.stdout == seq_bytes()
    assert b"Traceback" not in done.stderr
    assert done.stderr.count(b"is incomplete") == 1


# ----------------------------------------------------------------- files emb writes


def _repo(tmp_path: Path):
    return monorepo(root=tmp_path)


def test_logs_are_private_and_their_folders_too(tmp_path):
    os.umask(0o022)
    path = logs.log_path_for(_repo(tmp_path), "api:test")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in [tmp_path / ".emb", *path.parents]:
        if folder == tmp_path:
            break
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_pruning_never_follows_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    for i in range(15):
        (victim / f"2020010{i % 10}T000000.00000{i % 10}Z-{i}.log").write_text("precious")
    (tmp_path / "repo" / ".emb" / "default" / "logs" / "tasks").mkdir(parents=True)
    (tmp_path / "repo" / ".emb" / "default" / "logs" / "tasks" / "build").symlink_to(victim)
    with pytest.raises(state.StateFolderError, match="is a symbolic link"):
        logs.log_path_for(_repo(tmp_path / "repo"), "build")
    assert len(list(victim.iterdir())) == 15


def test_a_state_folder_that_is_a_symlink_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    repo = tmp_path / "repo"
    write_tree(repo, {".emb.yml": "project: {name: x}\ntasks:\n  hi: {script: echo hi}\n"})
    (repo / ".emb").symlink_to(elsewhere)
    done = run_emb("run", "hi", cwd=repo)
    assert done.returncode == 125, done.stderr
    assert "is a symbolic link: refusing to write through it" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []


def test_pruning_removes_only_emb_s_own_run_files(tmp_path):
    repo = _repo(tmp_path)
    first = logs.log_path_for(repo, "t")
    mine = first.parent / "notes.log"
    mine.write_text("mine")
    (first.parent / "link.log").symlink_to(mine)
    for _ in range(logs.KEEP_RUNS + 3):
        logs.log_path_for(repo, "t")
    assert mine.read_text() == "mine" and (first.parent / "link.log").is_symlink()
    assert not first.exists()  # an old run of emb's own is pruned


def test_state_lives_next_to_emb_yml_whatever_the_root_dir(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = tmp_path / "repo"
    write_tree(repo, {".emb.yml": f"project: {{name: x, rootDir: {outside}}}\ntasks:\n  hi: {{script: echo hi}}\n"})
    done = run_emb("run", "hi", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert list(outside.iterdir()) == []
    assert (repo / ".emb" / "default" / "logs" / "tasks" / "hi.log").exists()


def test_a_nul_byte_in_an_argument_cannot_start(tmp_path):
    with pytest.raises(CannotStart, match="NUL"):
        process.run(Command(argv=("sh", "-c", "echo a\0b")), log_path=tmp_path / "log", quiet=True)


# ----------------------------------------------------------------- signals during lookups and passthrough

SIGNALLED = """
import sys
from emb import process
from emb.errors import EmbError
pid_file = sys.argv[2]
argv = ["sh", "-c", f"echo $$ > {pid_file}; exec sleep 300"]
try:
    if sys.argv[1] == "capture":
        process.capture(argv)
    else:
        sys.exit(process.passthrough(argv)[0])
except EmbError as err:
    print(err.message, file=sys.stderr)
    sys.exit(err.exit_code)
"""


@pytest.mark.parametrize("how", ["capture", "passthrough"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_tool_call_ends_the_tool_too(tmp_path, how, signum):
    pid_file = tmp_path / "pid"
    emb = subprocess.Popen([sys.executable, "-c", SIGNALLED, how, str(pid_file)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline, "the tool did not start"
            time.sleep(0.02)
        tool = int(pid_file.read_text())
        emb.send_signal(signum)
        assert emb.wait(timeout=15) == 128 + signum
        assert not _alive(tool), "the tool outlived emb"
    finally:
        emb.kill()
        emb.wait()


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return fields[fields.rfind(b")") + 2:].split()[0] != b"Z"
