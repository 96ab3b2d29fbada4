"""EMB 0.30 monorepos through the real CLI: the fixtures load, list, print and run
their local tasks; SPEC §1's expansion rules, the errexit launcher, `emb TASK`,
-C/--flavor after the sub-command, confirm answers from a pipe and `-- ARGS`.

Each test runs real emb processes (tests.helpers.run_emb) on a copy of a fixture
(tests/fixtures/emb030) or on a small monorepo written for the rule it checks.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from emb.executors.script import script_argv
from tests.helpers import emb_env, run_emb, write_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "emb030"


def fixture(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def emb(*args, cwd, input=None, **env):
    done = run_emb(*args, cwd=cwd, env=emb_env(**env), input=input)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def ok(*args, cwd, input=None, **env):
    done = emb(*args, cwd=cwd, input=input, **env)
    assert done.returncode == 0, (args, done.stderr)
    return done


def ids(root: Path, *args) -> list[str]:
    return [t["id"] for t in json.loads(ok("tasks", "--json", *args, cwd=root).stdout)]


# -- the fixtures ---------------------------------------------------------------------------------

SHOP_TASKS = ["config:show", "api:test", "api:lint", "api:console", "api:migrate", "web:test", "worker:scale",
              "deps", "build", "release", "ci"]


@pytest.mark.parametrize("flavor", [None, "staging", "production", "dev", "empty"])
def test_shop_lists_and_prints_under_every_flavor(tmp_path, flavor):
    root = fixture(tmp_path, "shop")
    args = ("--flavor", flavor) if flavor else ()
    assert ids(root, *args) == SHOP_TASKS
    printed = yaml.safe_load(ok("config", "print", *args, cwd=root).stdout)
    assert set(printed["components"]) == {"api", "base", "config", "web", "worker"}
    # autodocker's image resource, and the Embfiles' own
    assert printed["components"]["base"]["resources"]["image"]["type"] == "docker/image"
    assert printed["components"]["api"]["resources"]["image"]["dependencies"] == ["base:image"]


def test_shop_flavored_values(tmp_path):
    root = fixture(tmp_path, "shop")
    prod = json.loads(ok("config", "print", "--json", "--flavor", "production", cwd=root, DOCKER_TAG="v7").stdout)
    docker = prod["defaults"]["docker"]
    assert docker["target"] == "production" and docker["platform"] == "linux/arm64"
    assert docker["buildArgs"] == {"NODE_ENV": "production", "REGISTRY": "ghcr.io/acme"}
    assert docker["publish"] == {"registry": "ghcr.io/acme", "tag": "v7"}  # copied from defaults.docker.tag
    assert "build" not in prod["defaults"]
    assert prod["env"]["NODE_ENV"] == "production"
    api = prod["components"]["api"]["resources"]["image"]["params"]
    assert api["target"] == "production" and api["platform"] == "linux/amd64"  # component flavor patches
    staging = json.loads(ok("--flavor", "staging", "config", "print", "--json", cwd=root).stdout)
    assert staging["defaults"]["kubernetes"]["namespace"] == "shop-staging"


def test_shop_runs_its_local_tasks(tmp_path):
    root = fixture(tmp_path, "shop")
    assert ok("run", "deps", cwd=root).stdout == "deps for development\n"
    assert ok("--flavor", "staging", "run", "deps", cwd=root).stdout == "deps for staging\n"
    assert ok("run", "api:test", cwd=root).stdout == "linting\ntesting api\n"
    assert ok("run", "web:test", cwd=root).stdout == ""
    assert ok("run", "worker:scale", cwd=root).stdout == "concurrency 4\n"
    assert ok("run", "worker:scale", cwd=root, WORKER_CONCURRENCY="9").stdout == "concurrency 9\n"
    # dotenv: .env then .env.local, the later file wins; the shell wins over both
    assert ok("run", "deps", cwd=root, NODE_ENV="test").stdout == "deps for test\n"


def test_other_fixtures_load_list_and_run(tmp_path):
    minimal = fixture(tmp_path, "minimal")
    arm = yaml.safe_load(ok("config", "print", "--flavor", "arm", cwd=minimal).stdout)
    assert arm["components"]["hello"]["resources"]["image"] == {"type": "docker/image",
                                                                 "params": {"platform": "linux/arm64"}}

    names = fixture(tmp_path, "names")
    assert ok("run", "web-app.v2:smoke", cwd=names).returncode == 0
    assert "certs:db:migrate" in ids(names) and "docs/build" in ids(names, "--flavor", "prod/eu")
    assert ok("docs/build", cwd=names).stdout == "docs\n"  # emb TASK

    nested = fixture(tmp_path, "nested")
    assert ok("run", "lint:all", cwd=nested).returncode == 0
    assert ok("run", "billing:test", cwd=nested).returncode == 0

    merge = fixture(tmp_path, "merge")
    [task] = json.loads(ok("tasks", "--json", cwd=merge).stdout)
    assert task["executors"] == ["local", "container"] and task["description"] == "Both files declare api:test"
    assert ok("run", "api:test", cwd=merge).stdout == "embfile\n"  # the Embfile wins, as in EMB 0.30
    printed = yaml.safe_load(ok("config", "print", cwd=merge).stdout)
    assert printed["components"]["api"]["description"] == "From the Embfile"
    assert printed["components"]["api"]["resources"]["image"]["params"] == {"target": "production"}


def test_expansion_fixture(tmp_path):
    root = fixture(tmp_path, "expansion")
    # One task needs an unset variable: every other command still works.
    assert ids(root) == ["app:deploy", "app:needs-token", "app:hello"]
    assert ok("run", "app:hello", cwd=root).stdout == "hello\n"
    printed = yaml.safe_load(ok("config", "print", cwd=root).stdout)
    assert printed["env"] == {"IMAGE_BASE": "ghcr.io/acme/expansion", "CHANNEL": "stable"}
    failed = emb("run", "app:needs-token", cwd=root)
    assert failed.returncode == 2
    first = failed.stderr.splitlines()[0]
    assert first.startswith("emb: error: .emb.yml:") and first.endswith(  # the file, its line, the task, the name
        ": at /components/app/tasks/needs-token/vars/TOKEN: task app:needs-token: "
        "environment variable EMB030_FIXTURE_TOKEN_THAT_IS_NEVER_SET is not set "
        "(needed by ${env:EMB030_FIXTURE_TOKEN_THAT_IS_NEVER_SET})")
    # confirm: `${vars:TARGET}` and `${TARGET}` are the task's own (expanded) vars
    done = ok("run", "app:deploy", cwd=root, input="eu-west/1.a\n")
    assert "Deploy to eu-west/1.a? (type 'eu-west/1.a' to continue)" in done.stderr
    assert done.stdout == "deploying to eu-west/1.a\n"


# -- SPEC §1 expansion, rule by rule --------------------------------------------------------------

EXPANSION = """\
project: {name: x}
vars: {who: world, empty: "", greeting: "hello ${who}", dollar: "$HOME"}
env:
  FROM_BLOCK: "${EMB_T_OUTER:-block-default}"
tasks:
  show:
    vars:
      BARE: "${who}"
      SOURCED: "${vars:greeting}"
      ESCAPED: "\\\\${who} and \\\\${env:HOME}"
      EMPTY_FALLBACK: "${vars:empty:-d} ${env:EMB_T_EMPTY:-d2}"
      UNKNOWN_WITH_FALLBACK: "${nosuch:thing:-fb}"
      NOT_AGAIN: "${env:EMB_T_TRICKY}"
      FROM_BLOCK: "${env:FROM_BLOCK}"
      VAR_DOLLAR: "${dollar}"
    script: |
      for n in BARE SOURCED ESCAPED EMPTY_FALLBACK UNKNOWN_WITH_FALLBACK NOT_AGAIN FROM_BLOCK VAR_DOLLAR; do
        eval "printf '%s=%s|' \\"$n\\" \\"\\$$n\\""
      done
      echo "|script: ${vars:who} ${EMB_T_SHELL:-shell-default} \\\\${env:HOME} $(echo sub)"
  unknown:
    vars: {X: "${nosuch:thing}"}
    script: "true"
"""


def test_expansion_rules_through_the_cli(tmp_path):
    write_tree(tmp_path, {".emb.yml": EXPANSION})
    done = ok("run", "show", cwd=tmp_path, EMB_T_EMPTY="", EMB_T_TRICKY="${env:HOME} $(id) \\${x}")
    values, script = done.stdout.rstrip("\n").split("||")
    assert dict(v.split("=", 1) for v in values.split("|")) == {
        "BARE": "world",  # a bare ${NAME} is ${vars:NAME}
        "SOURCED": "hello world",  # vars are expanded themselves
        "ESCAPED": "${who} and ${env:HOME}",  # \${ is a literal ${, the backslash removed
        "EMPTY_FALLBACK": "d d2",  # :- on empty, as the shell does
        "UNKNOWN_WITH_FALLBACK": "fb",  # an unknown source with a fallback is the fallback
        "NOT_AGAIN": "${env:HOME} $(id) \\${x}",  # substituted values are never expanded again
        "FROM_BLOCK": "block-default",  # in the env block a bare name is ${env:NAME}
        "VAR_DOLLAR": "$HOME",
    }
    # In scripts, only ${source:...} references are emb's; the rest is the shell's
    # (`\\${env:X}` in the file: emb's `\${` gives `${`, the shell's backslash stays for the shell).
    assert script == "script: world shell-default ${env:HOME} sub"
    failed = emb("run", "unknown", cwd=tmp_path)
    assert failed.returncode == 2
    assert "task unknown: unknown source 'nosuch' in ${nosuch:thing} (sources: env, vars)" in failed.stderr


def test_the_env_block_reads_the_environment_for_bare_names(tmp_path):
    write_tree(tmp_path, {".emb.yml": EXPANSION})
    done = ok("run", "show", cwd=tmp_path, EMB_T_OUTER="outer", EMB_T_TRICKY="t")
    assert "FROM_BLOCK=outer|" in done.stdout


def test_dry_run_expands_the_task_and_shows_the_exact_argv(tmp_path):
    write_tree(tmp_path, {".emb.yml": "project: {name: x}\nvars: {v: V}\ntasks:\n"
                                      "  t: {vars: {A: '${v}'}, script: 'echo ${vars:v} \"$1\"'}\n"})
    done = ok("run", "--dry-run", "t", "--", "one two", cwd=tmp_path)
    assert done.stdout.splitlines()[2] == "env A=V " + shlex.join(script_argv('echo V "$1"', ["one two"]))
    # ...and that line, pasted into a shell, does what the run does.
    line = done.stdout.splitlines()[2]
    assert subprocess.run(["sh", "-c", line], capture_output=True, text=True).stdout == "V one two\n"


# -- scripts: errexit, bash when the target has it -----------------------------------------------

SCRIPTS = """\
project: {name: x}
tasks:
  multi:
    script: |
      echo first
      (exit 4)
      echo never
  piped:
    script: |
      false | true
      echo never
  bashy:
    script: 'a=(x y z); [[ ${#a[@]} -eq 3 ]] && echo "bash ${a[1]}"'
  which:
    script: 'if [ -n "$BASH_VERSION" ]; then echo bash; else echo sh; fi; echo "$0"'
  args:
    script: 'printf "[%s]" "$@"; echo " $#"'
  after:
    pre: [which]
    script: 'printf "[%s]" "$@"; echo'
"""


@pytest.fixture
def scripts(tmp_path):
    return write_tree(tmp_path / "scripts", {".emb.yml": SCRIPTS})


def test_a_multi_line_script_stops_at_the_first_failing_line(scripts):
    done = emb("run", "multi", cwd=scripts)
    assert (done.returncode, done.stdout) == (4, "first\n")
    done = emb("run", "piped", cwd=scripts)  # pipefail under bash
    assert (done.returncode, done.stdout) == (1, "")


def test_bash_syntax_works_where_bash_is(scripts):
    assert shutil.which("bash"), "the test machine has bash"
    assert ok("run", "bashy", cwd=scripts).stdout == "bash y\n"
    assert ok("run", "which", cwd=scripts).stdout == "bash\nemb\n"


def test_without_bash_the_script_runs_under_sh_with_errexit(scripts, tmp_path):
    """A PATH with a POSIX sh and no bash: the launcher's fallback, still with errexit."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("dash") or "/bin/sh", bin_dir / "sh")
    env = {"PATH": str(bin_dir)}
    assert ok("run", "which", cwd=scripts, **env).stdout == "sh\nemb\n"
    done = emb("run", "multi", cwd=scripts, **env)
    assert (done.returncode, done.stdout) == (4, "first\n")
    assert emb("run", "bashy", cwd=scripts, **env).returncode != 0  # no arrays in sh


def test_arguments_after_a_double_dash_are_the_scripts_own(scripts):
    assert ok("run", "args", "--", "a b", "", "-C", "--flavor", "--", cwd=scripts).stdout == \
        "[a b][][-C][--flavor][--] 5\n"
    assert ok("run", "args", cwd=scripts).stdout == "[] 0\n"
    assert ok("args", "--", "x", cwd=scripts).stdout == "[x] 1\n"  # emb TASK -- ARGS
    # only the tasks named on the command line get them, not their `pre` tasks
    assert ok("run", "after", "--", "z", cwd=scripts).stdout == "bash\nemb\n[z]\n"


# -- the command line ----------------------------------------------------------------------------

CLI = """\
project: {name: x}
components:
  api:
    tasks:
      setup: {script: echo api-setup}
tasks:
  hello: {script: 'echo "hello $WHO"', vars: {WHO: "${vars:who}"}}
vars: {who: plain}
flavors:
  loud: {patches: [{op: replace, path: /vars/who, value: LOUD}]}
"""


def test_an_unknown_sub_command_that_names_a_task_runs_it(tmp_path):
    write_tree(tmp_path, {".emb.yml": CLI, "api/README": ""})
    assert ok("hello", cwd=tmp_path).stdout == "hello plain\n"
    assert ok("setup", cwd=tmp_path).stdout == "api-setup\n"  # a bare name, unambiguous
    assert ok("api:setup", "hello", cwd=tmp_path).stdout == "api-setup\nhello plain\n"
    assert ok("hello", "--dry-run", cwd=tmp_path).stdout.startswith("# [1/1] hello: local")
    typo = emb("helo", cwd=tmp_path)
    assert typo.returncode == 2
    assert "no such command or task 'helo'. Did you mean the task 'hello' (emb run hello)?" in typo.stderr
    outside = emb("hello", cwd=tmp_path.parent, EMB_ROOT="")
    assert outside.returncode == 2 and "no such command 'hello'" in outside.stderr


def test_root_and_flavor_before_or_after_the_sub_command(tmp_path):
    root = write_tree(tmp_path / "repo", {".emb.yml": CLI, "api/README": ""})
    elsewhere = tmp_path
    for args in (("-C", str(root), "tasks"), ("tasks", "-C", str(root)), (f"--root={root}", "tasks"),
                 ("tasks", f"-C{root}")):
        assert "hello" in ok(*args, cwd=elsewhere).stdout, args
    for args in (("--flavor", "loud", "-C", str(root), "run", "hello"),
                 ("run", "hello", "--flavor", "loud", "-C", str(root)),
                 ("-C", str(root), "hello", "--flavor=loud"),
                 ("run", "-C", str(root), "--flavor", "loud", "hello")):
        assert ok(*args, cwd=elsewhere).stdout == "hello LOUD\n", args
    printed = json.loads(ok("config", "print", "--json", "-C", str(root), "--flavor", "loud", cwd=elsewhere).stdout)
    assert printed["vars"]["who"] == "LOUD"


CONFIRM = """\
project: {name: x}
tasks:
  first: {script: echo first}
  deploy:
    pre: [first]
    vars: {TARGET: "${env:TARGET:-prod}"}
    confirm: {message: "Deploy to ${TARGET}?", expect: "${TARGET}"}
    script: echo "deployed to $TARGET"
  twice:
    pre: [deploy]
    confirm: {message: "Again?"}
    script: echo again
"""


def test_confirm_answers_come_from_a_pipe(tmp_path):
    write_tree(tmp_path, {".emb.yml": CONFIRM})
    done = ok("run", "deploy", cwd=tmp_path, input="prod\n")
    assert done.stdout == "first\ndeployed to prod\n"
    assert "deploy: Deploy to prod? (type 'prod' to continue)" in done.stderr
    # `yes | emb run ...`: every prompt reads its own line
    assert ok("run", "twice", cwd=tmp_path, input="prod\nyes\n").stdout == "first\ndeployed to prod\nagain\n"
    declined = emb("run", "deploy", cwd=tmp_path, input="staging\n")
    assert declined.returncode == 130 and declined.stdout == ""


def test_confirm_at_the_end_of_input_fails_cleanly_and_nothing_runs(tmp_path):
    write_tree(tmp_path, {".emb.yml": CONFIRM})
    for stdin in (subprocess.DEVNULL, None):
        done = subprocess.run([sys.executable, "-m", "emb", "run", "twice"], cwd=tmp_path, env=emb_env(),
                              stdin=stdin, input=b"prod\n" if stdin is None else None,
                              capture_output=True, timeout=30)
        assert done.returncode == 125, done.stderr
        assert done.stdout == b""  # not even `first`: the answers are read before anything runs
        err = done.stderr.decode()
        assert "asks for confirmation, but its input ended without an answer: it did not run" in err
        assert "Traceback" not in err
