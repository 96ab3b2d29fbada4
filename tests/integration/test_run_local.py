"""`emb run` end to end on the local executor: real config files, real `sh`, real emb processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emb.executors.script import script_argv
from tests.helpers import emb_env, run_emb, write_tree

SPECIAL = {
    "DOLLAR": "$HOME ${HOME} $(id -u) `id -u` $",
    "QUOTES": "it's \"quoted\" 'twice'",
    "BACKSLASH": "a\\b\\\\c\\n\\t",
    "SPACES": "  leading and trailing  ",
    "NEWLINES": "line one\nline two\n",
    "UNICODE": "héllo wörld ✓ 日本 🚀",
}

CONFIG = {
    "project": {"name": "demo"},
    "env": {"PROJECT_GREETING": "hello from the project"},
    "components": {
        "api": {
            "rootDir": "services/api",
            "tasks": {
                "test": {"script": "echo api-test; pwd", "pre": ["build"]},
                "build": {"script": "echo api-build"},
                "migrate": {"script": "echo migrate", "executors": ["local"]},
                "where": {"script": "pwd", "workdir": "db"},
            },
        },
        "web": {"rootDir": "web", "tasks": {"test": {"script": "echo web-test"}}},
    },
    "tasks": {
        "hello": {"script": "echo hello; echo to-stderr >&2"},
        "greet": {"script": 'echo "$PROJECT_GREETING"'},
        "build": {"script": "echo project-build"},
        "one": {"script": "echo one"},
        "two": {"script": "echo two", "pre": ["one"]},
        "three": {"script": "echo three", "pre": ["two"]},
        "all": {"pre": ["three", "hello"]},
        "fail": {"script": "echo before-failing; echo failing >&2; exit 42"},
        "after-fail": {"script": "echo should-not-run", "pre": ["fail"]},
        "special": {
            # A literal `${` in a var is written `\${` (a bare `${HOME}` would mean ${vars:HOME}).
            "vars": {name: value.replace("${", "\\${") for name, value in SPECIAL.items()},
            "script": "for n in " + " ".join(SPECIAL) + '; do eval "printf %s \\"\\${$n}\\""; printf "\\0"; done',
        },
        "upper": {"script": "tr a-z A-Z"},
        "console": {"interactive": True, "script": 'read line || true; echo "got $line"; [ -t 0 ] || echo "no tty"'},
        "touch": {"script": "touch touched; echo touched", "vars": {"MODE": "a b"}},
        "slow": {"script": 'for i in 1 2 3 4 5; do echo "$RUN-$i"; sleep 0.1; done'},
        "danger": {"script": "echo dangerous", "confirm": {"message": "Sure?", "expect": "yes"}, "pre": ["one"]},
        "cyc-a": {"script": "true", "pre": ["cyc-b"]},
        "cyc-b": {"script": "true", "pre": ["cyc-a"]},
        "nodir": {"script": "true", "workdir": "does/not/exist"},
    },
    "flavors": {
        "staging": {"patches": [{"op": "replace", "path": "/tasks/hello/script", "value": "echo staging-hello"}]}
    },
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    # JSON is YAML: the values arrive in the config exactly as written here.
    write_tree(tmp_path, {".emb.yml": json.dumps(CONFIG, indent=1, ensure_ascii=False), "services/api/db/.keep": "", "web/.keep": ""})
    return tmp_path


def emb(repo: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return run_emb(*args, cwd=repo, **kw)


def logs(repo: Path, flavor: str = "default") -> Path:
    return repo / ".emb" / flavor / "logs" / "tasks"


# ----------------------------------------------------------------- streams, order, exit codes


def test_a_task_writes_to_stdout_and_emb_to_stderr(repo):
    done = emb(repo, "run", "hello")
    assert done.returncode == 0
    assert done.stdout == "hello\n"
    lines = done.stderr.splitlines()
    assert lines[0] == "emb: running hello (local, in the project root)"
    assert "to-stderr" in lines
    assert lines[-1].startswith("emb: hello done in ")


def test_a_three_level_chain_runs_in_order(repo):
    done = emb(repo, "run", "three")
    assert done.returncode == 0
    assert done.stdout == "one\ntwo\nthree\n"
    started = [line.split()[2] for line in done.stderr.splitlines() if line.startswith("emb: running")]
    assert started == ["one", "two", "three"]


def test_a_task_with_only_pre_tasks(repo):
    done = emb(repo, "run", "all")
    assert done.returncode == 0
    assert done.stdout == "one\ntwo\nthree\nhello\n"
    assert "emb: all: nothing of its own to run" in done.stderr


def test_a_bare_name_inside_a_component_prefers_the_component(repo):
    done = emb(repo, "run", "api:test")
    assert done.stdout == f"api-build\napi-test\n{repo / 'services' / 'api'}\n"


def test_a_failing_task_stops_the_run_with_its_exit_code(repo):
    done = emb(repo, "run", "after-fail")
    assert done.returncode == 42
    assert done.stdout == "before-failing\n"
    assert "should-not-run" not in done.stdout
    failure = done.stderr.splitlines()[-1]
    assert failure.startswith("emb: fail failed with exit code 42 after ")
    log = failure.split("(log: ")[1].rstrip(")")
    assert (repo / log).read_text() == "before-failing\nfailing\n"


def test_workdir_and_component_folders(repo):
    assert emb(repo, "run", "api:where").stdout == f"{repo / 'services' / 'api' / 'db'}\n"


def test_project_env_is_inherited(repo):
    assert emb(repo, "run", "greet").stdout == "hello from the project\n"


def test_special_characters_in_vars_arrive_byte_for_byte(repo):
    done = run_emb("run", "special", cwd=repo, input=b"")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(b"\0")[:-1] == [v.encode() for v in SPECIAL.values()]


def test_piped_stdin_reaches_the_task(repo):
    done = emb(repo, "run", "upper", input="quiet words\n")
    assert done.returncode == 0
    assert done.stdout == "QUIET WORDS\n"


def test_an_interactive_task_without_a_terminal_runs_with_stdin_attached(repo):
    done = emb(repo, "run", "console", input="a line\n", timeout=20)
    assert done.returncode == 0
    assert done.stdout == "got a line\nno tty\n"


def test_an_interactive_task_with_closed_stdin_does_not_hang(repo):
    done = subprocess.run(
        [sys.executable, "-m", "emb", "run", "console"], cwd=repo, env=emb_env(),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
    )
    assert done.returncode == 0
    assert done.stdout == "got \nno tty\n"


# ----------------------------------------------------------------- logs


def test_each_run_is_logged_and_the_stable_path_is_the_latest(repo):
    emb(repo, "run", "hello")
    first = sorted((logs(repo) / "hello").iterdir())
    emb(repo, "run", "hello")
    runs = sorted((logs(repo) / "hello").iterdir())
    assert len(first) == 1 and len(runs) == 2
    stable = logs(repo) / "hello.log"
    assert stable.resolve() == runs[-1].resolve()
    assert stable.read_text() == "hello\nto-stderr\n"


def test_component_task_logs_use_a_safe_name(repo):
    emb(repo, "run", "api:build")
    assert (logs(repo) / "api__build.log").read_text() == "api-build\n"


def test_two_concurrent_runs_of_the_same_task_never_mix(repo):
    procs = [
        subprocess.Popen([sys.executable, "-m", "emb", "run", "slow"], cwd=repo, env=emb_env(RUN=name),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("first", "second")
    ]
    outputs = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    expected = {name: "".join(f"{name}-{i}\n" for i in range(1, 6)) for name in ("first", "second")}
    assert [out for out, _ in outputs] == [expected["first"], expected["second"]]
    files = sorted((logs(repo) / "slow").iterdir())
    assert len(files) == 2
    assert sorted(f.read_text() for f in files) == sorted(expected.values())
    assert (logs(repo) / "slow.log").read_text() in expected.values()


def test_a_flavor_logs_under_its_own_state_dir(repo):
    done = emb(repo, "run", "--flavor", "staging", "hello")
    assert done.stdout == "staging-hello\n"
    assert (logs(repo, "staging") / "hello.log").read_text() == "staging-hello\n"
    assert not (logs(repo) / "hello.log").exists()
    via_env = run_emb("run", "hello", cwd=repo, env=emb_env(EMB_FLAVOR="staging"))
    assert via_env.stdout == "staging-hello\n"
    via_root = emb(repo, "--flavor", "staging", "run", "hello")
    assert via_root.stdout == "staging-hello\n"


# ----------------------------------------------------------------- references and errors


def test_an_ambiguous_name_is_an_error_and_a_runs_them_all(repo):
    done = emb(repo, "run", "test")
    assert done.returncode == 2
    assert "task name 'test' is ambiguous: it matches api:test, web:test" in done.stderr
    assert "-a/--all-matching" in done.stderr
    assert done.stdout == ""
    everything = emb(repo, "run", "-a", "test")
    assert everything.returncode == 0
    assert everything.stdout == f"api-build\napi-test\n{repo / 'services' / 'api'}\nweb-test\n"


def test_an_unknown_task_suggests_the_closest(repo):
    done = emb(repo, "run", "helo")
    assert done.returncode == 2
    assert "emb: error: unknown task 'helo'" in done.stderr
    assert "did you mean: hello" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_cycle_is_an_error_naming_the_path(repo):
    done = emb(repo, "run", "cyc-a")
    assert done.returncode == 2
    assert "the `pre` tasks form a cycle: cyc-a -> cyc-b -> cyc-a" in done.stderr


def test_a_forbidden_executor_is_an_error(repo):
    done = emb(repo, "run", "-x", "kubernetes", "api:migrate")
    assert done.returncode == 2
    assert "task api:migrate cannot run on kubernetes (allowed: local)" in done.stderr
    project = emb(repo, "run", "-x", "container", "hello")
    assert project.returncode == 2
    assert "task hello cannot run on container (allowed: local)" in project.stderr
    assert "project tasks cannot use container/kubernetes" in project.stderr


def test_x_local_runs_locally_without_asking_docker(repo):
    done = emb(repo, "run", "-x", "local", "api:build", env=emb_env(PATH="/usr/bin:/bin", DOCKER_HOST="tcp://127.0.0.1:1"))
    assert done.returncode == 0
    assert done.stdout == "api-build\n"


def test_a_missing_folder_cannot_start(repo):
    done = emb(repo, "run", "nodir")
    assert done.returncode == 125
    assert "does/not/exist does not exist" in done.stderr


def test_a_confirm_answer_is_read_from_a_pipe(repo):
    done = emb(repo, "run", "danger", input="yes\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "one\ndangerous\n"
    assert "danger: Sure? (type 'yes' to continue)" in done.stderr


def test_a_wrong_answer_from_a_pipe_declines(repo):
    done = emb(repo, "run", "danger", input="no\n")
    assert done.returncode == 130
    assert "task danger was not confirmed" in done.stderr and done.stdout == ""


def test_a_confirm_at_end_of_input_fails_before_anything_runs(repo):
    done = subprocess.run([sys.executable, "-m", "emb", "run", "danger"], cwd=repo, env=emb_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    assert done.returncode == 125
    assert "task danger asks for confirmation, but its input ended without an answer" in done.stderr
    assert done.stdout == ""  # not even its pre task `one`
    assert "Traceback" not in done.stderr


def test_the_tasks_run_alias(repo):
    done = emb(repo, "tasks", "run", "two")
    assert done.returncode == 0
    assert done.stdout == "one\ntwo\n"


# ----------------------------------------------------------------- output modes


def test_quiet_keeps_only_failures(repo):
    ok = emb(repo, "run", "-q", "hello")
    assert ok.stdout == "hello\n"
    assert ok.stderr == "to-stderr\n"
    failed = emb(repo, "run", "-q", "fail")
    assert failed.returncode == 42
    assert failed.stderr.splitlines()[-1].startswith("emb: fail failed with exit code 42")


def test_json_run_turns_emb_lines_into_json_lines_on_stderr(repo):
    done = emb(repo, "run", "--json", "two")
    assert done.returncode == 0
    assert done.stdout == "one\ntwo\n"
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(e["event"], e["task"]) for e in events] == [("start", "one"), ("end", "one"), ("start", "two"), ("end", "two")]
    assert events[0]["executor"] == "local" and events[0]["argv"] == script_argv("echo one")
    assert events[1]["ok"] is True and events[1]["exit_code"] == 0
    assert Path(events[3]["log"]).read_text() == "two\n"


def test_json_errors_are_json_too(repo):
    done = emb(repo, "run", "--json", "helo")
    assert done.returncode == 2
    error = json.loads(done.stderr.strip())
    assert error["event"] == "error" and error["message"] == "unknown task 'helo'"


def test_dry_run_prints_runnable_lines_and_runs_nothing(repo):
    done = emb(repo, "run", "--dry-run", "touch", "special")
    assert done.returncode == 0
    assert not (repo / "touched").exists()
    assert not (repo / ".emb" / "default" / "logs").exists()
    lines = done.stdout.splitlines()
    assert lines[0] == "# [1/2] touch: local, in the project root"
    assert lines[1] == f"# cwd: {repo}"
    assert lines[2] == "env MODE='a b' " + shlex.join(script_argv("touch touched; echo touched"))
    # The printed line for `special` really is runnable and gives the same bytes.
    block = done.stdout.split("# [2/2] special: local, in the project root\n", 1)[1]
    command = block.split("\n", 1)[1]
    assert command.startswith("env ")
    rerun = subprocess.run(["sh", "-c", command], cwd=repo, capture_output=True)
    assert rerun.stdout.split(b"\0")[:-1] == [v.encode() for v in SPECIAL.values()]


def test_dry_run_never_prompts(repo):
    done = emb(repo, "run", "--dry-run", "danger")
    assert done.returncode == 0
    assert "# asks first: Sure? (type 'yes')" in done.stdout


def test_dry_run_json_is_the_plan(repo):
    done = emb(repo, "run", "--dry-run", "--json", "all")
    assert done.returncode == 0
    plan = json.loads(done.stdout)
    assert [t["id"] for t in plan["tasks"]] == ["one", "two", "three", "hello", "all"]
    first = plan["tasks"][0]
    assert first["executor"] == "local"
    assert first["argv"] == script_argv("echo one")
    assert first["cwd"] == str(repo)
    assert plan["tasks"][-1]["argv"] is None
    assert done.stderr == ""


# ----------------------------------------------------------------- completion and start-up


def complete(repo: Path, line: str) -> list[str]:
    words = line.split(" ")
    env = emb_env(_EMB_COMPLETE="bash_complete", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    done = subprocess.run([sys.executable, "-m", "emb"], cwd=repo, env=env, capture_output=True, text=True, timeout=20)
    # bash_complete prints "type,value" lines
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line.startswith("plain,")]


def test_task_ids_complete(repo):
    assert set(complete(repo, "emb run th")) == {"three"}
    assert set(complete(repo, "emb run api")) == {"api:test", "api:build", "api:migrate", "api:where"}
    # bash splits `api:mi` at the colon; only the part after it may come back.
    assert complete(repo, "emb run api : mi") == ["migrate"]


def test_completion_outside_a_monorepo_is_silent(tmp_path):
    assert complete(tmp_path, "emb run he") == []


def test_a_local_run_does_not_import_heavy_modules(repo):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "emb", "run", "hello"],
        cwd=repo, env=emb_env(), capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 0
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "emb.process" in imported  # the measurement works
    assert not imported & {"pexpect", "jsonschema", "plumbum", "ctypes", "jsonpatch"}
