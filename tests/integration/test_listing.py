"""The listing commands and configuration errors through the real CLI (`python -m emb`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import emb_env, run_emb, write_tree

SHOP = {
    ".emb.yml": """\
        project: {name: shop}
        plugins:
          - name: autodocker
          - name: embfiles
        vars: {appEnv: development}
        kubernetes:
          namespace: "${env:K8S_NAMESPACE:-default}"
          selectorLabel: app.kubernetes.io/component
        components:
          api:
            description: REST API
            kubernetes: {deployment: api-server, container: app}
            tasks:
              migrate:
                description: Apply database migrations to the ${vars:appEnv} database, carefully
                script: ./manage.py migrate
                vars: {APP_ENV: "${vars:appEnv}"}
                executors: [container, kubernetes, local]
          worker:
            kubernetes: {selector: "app=worker,tier=jobs"}
        tasks:
          check:
            description: All checks
            pre: [api:migrate, lint]
        flavors:
          staging:
            patches:
              - {op: replace, path: /kubernetes/namespace, value: staging}
              - {op: replace, path: /vars/appEnv, value: staging}
        """,
    "api/Dockerfile": "FROM scratch\n",
    "web/Dockerfile": "FROM scratch\n",
    "web/Embfile.yml": """\
        tasks:
          lint:
            description: Lint the pages
            executor: local
            script: echo lint
          console: {script: sh, interactive: true}
        """,
    "worker/Embfile.yml": "tasks:\n  test: {script: echo ok, pre: [web:lint]}\n",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("shop"), SHOP)


def emb_ok(*args, cwd, **env):
    result = run_emb(*args, cwd=cwd, env=emb_env(**env))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def test_tasks_json(shop):
    tasks = json.loads(emb_ok("tasks", "--json", cwd=shop).stdout)
    by_id = {t["id"]: t for t in tasks}
    assert set(by_id) == {"api:migrate", "web:lint", "web:console", "worker:test", "check"}
    assert by_id["api:migrate"] == {
        "id": "api:migrate", "name": "migrate", "component": "api",
        # Descriptions are shown as written: SPEC §1 does not expand them (nor does EMB 0.30).
        "description": "Apply database migrations to the ${vars:appEnv} database, carefully",
        "executors": ["container", "kubernetes", "local"], "executor": None,
        "interactive": False, "pre": [],
    }
    assert by_id["web:lint"]["executor"] == "local" and by_id["web:lint"]["executors"] is None
    assert by_id["web:console"]["interactive"] is True
    assert by_id["check"]["component"] is None and by_id["check"]["pre"] == ["api:migrate", "lint"]


def test_tasks_table_aligns_and_shows_declared_executors(shop):
    out = emb_ok("tasks", cwd=shop).stdout.splitlines()
    header = out[0]
    assert header.split() == ["NAME", "COMPONENT", "ID", "EXECUTORS", "DESCRIPTION"]
    starts = [header.index(col) for col in ("COMPONENT", "ID", "EXECUTORS", "DESCRIPTION")]
    rows = {line.split()[2]: line for line in out[1:]}
    assert set(rows) == {"api:migrate", "web:lint", "web:console", "worker:test", "check"}
    for line in out[1:]:
        for start in starts:  # every column starts where its header starts (an empty last one is cut)
            if start < len(line):
                assert line[start - 2:start] == "  " and line[start] != " ", line
    assert "container,kubernetes,local" in rows["api:migrate"]
    assert rows["web:lint"].split()[3] == "local" and rows["check"].split()[3] == "default"
    assert "\x1b[" not in "\n".join(out)  # no colour on a pipe


def test_components_json_and_table(shop):
    comps = json.loads(emb_ok("components", "--json", cwd=shop).stdout)
    by_name = {c["name"]: c for c in comps}
    assert set(by_name) == {"api", "worker", "web"}
    assert by_name["api"]["folder"] == "api" and by_name["api"]["path"] == str(shop / "api")
    assert by_name["api"]["kubernetes"] == {"selector": "app.kubernetes.io/component=api", "container": "app"}
    assert by_name["worker"]["kubernetes"] == {"selector": "app=worker,tier=jobs"}
    assert by_name["web"]["tasks"] == ["web:lint", "web:console"]
    assert all(c["compose_service"] is False for c in comps)  # no compose file in this monorepo
    table = emb_ok("components", cwd=shop).stdout.splitlines()
    assert table[0].split() == ["NAME", "FOLDER", "COMPOSE", "KUBERNETES"]
    assert any(re.match(r"api\s+api\s+no\s+-l app.kubernetes.io/component=api -c app$", r) for r in table)


def test_components_show_the_deployment_without_selector_label(tmp_path):
    write_tree(tmp_path, {".emb.yml": "project: {name: x}\ncomponents:\n  api: {kubernetes: {deployment: api-server}}\n  web:\n"})
    comps = json.loads(emb_ok("components", "--json", cwd=tmp_path).stdout)
    assert [c["kubernetes"] for c in comps] == [{"deployment": "api-server"}, {"deployment": "web"}]


def test_config_print_yaml_json_and_flavor(shop):
    import yaml

    plain = yaml.safe_load(emb_ok("config", "print", cwd=shop).stdout)
    assert plain["kubernetes"]["namespace"] == "default"
    assert set(plain["components"]) == {"api", "worker", "web"}
    staged = json.loads(emb_ok("--flavor", "staging", "config", "print", "--json", cwd=shop).stdout)
    assert staged["kubernetes"]["namespace"] == "staging"
    assert staged["components"]["api"]["tasks"]["migrate"]["vars"] == {"APP_ENV": "staging"}
    same = json.loads(emb_ok("config", "print", "--json", "--flavor", "staging", cwd=shop).stdout)
    assert same == staged
    via_env = json.loads(emb_ok("config", "print", "--json", cwd=shop, EMB_FLAVOR="staging").stdout)
    assert via_env == staged
    from_env = json.loads(emb_ok("config", "print", "--json", cwd=shop, K8S_NAMESPACE="qa").stdout)
    assert from_env["kubernetes"]["namespace"] == "qa"


def test_root_option_and_emb_root(shop, tmp_path):
    assert "api:migrate" in emb_ok("-C", str(shop), "tasks", cwd=tmp_path).stdout
    assert "api:migrate" in emb_ok("tasks", cwd=tmp_path, EMB_ROOT=str(shop / ".emb.yml")).stdout


def test_config_schema(shop, tmp_path):
    schema = json.loads(emb_ok("config", "schema", cwd=tmp_path).stdout)  # no monorepo needed
    assert schema["additionalProperties"] is False and "project" in schema["properties"]
    assert "task" in schema["$defs"]
    embfile = json.loads(emb_ok("config", "schema", "--embfile", cwd=tmp_path).stdout)
    assert set(embfile["properties"]) == {"rootDir", "description", "kubernetes", "resources", "tasks", "flavors"}


def test_version_and_help(tmp_path):
    assert re.fullmatch(r"emb \d+\.\d+\.\d+\S*\n", emb_ok("--version", cwd=tmp_path).stdout)
    help_text = emb_ok("--help", cwd=tmp_path).stdout
    for command in ("tasks", "components", "config", "run"):
        assert command in help_text
    assert "--json" in emb_ok("tasks", "--help", cwd=tmp_path).stdout


def test_listing_does_not_import_heavy_modules(shop):
    """Start-up rule: a warm `emb tasks` imports no validator, no YAML parser, no runner libraries."""
    emb_ok("tasks", cwd=shop)  # fills the caches
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "emb", "tasks"], cwd=shop,
                            env=emb_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "emb.config.loader" in imported  # the measurement works
    for heavy in ("jsonschema", "fastjsonschema", "yaml", "jsonpatch", "plumbum", "pexpect", "dotenv"):
        assert heavy not in imported, f"`emb tasks` imported {heavy}"


# -- the error corpus: exit 2, the file named, one line, no traceback ------------------------------

BROKEN = {
    "empty": ({".emb.yml": ""}, ".emb.yml"),
    "not a mapping": ({".emb.yml": "- project\n"}, ".emb.yml"),
    "yaml syntax": ({".emb.yml": "project: {name: x\ntasks: [\n"}, ".emb.yml:"),
    "unknown key": ({".emb.yml": "project: {name: x}\ntasks: {t: {script: x, exectuor: local}}\n"}, ".emb.yml:2"),
    "wrong type": ({".emb.yml": "project: {name: x}\ntasks: {t: {script: x, interactive: 'yes'}}\n"}, ".emb.yml"),
    "bad executor": ({".emb.yml": "project: {name: x}\ntasks: {t: {script: x, executor: ssh}}\n"}, ".emb.yml"),
    "missing project": ({".emb.yml": "tasks: {}\n"}, ".emb.yml"),
    "unknown source at load": ({".emb.yml": "project: {name: x}\nkubernetes: {context: '${secret:token}'}\n"},
                               ".emb.yml:2"),
    "undefined var": ({".emb.yml": "project: {name: x}\nkubernetes: {namespace: '${vars:ns}'}\n"}, ".emb.yml:2"),
    "patch path missing": ({".emb.yml": "project: {name: x}\nflavors:\n  s:\n    patch:\n"
                                        "      - {op: replace, path: /kubernetes/namespace, value: s}\n"},
                           ".emb.yml:5", ("--flavor", "s")),
    "same name two folders": ({".emb.yml": "project: {name: x}\nplugins:\n  - {name: embfiles, config: {glob: '*/*/Embfile.yml'}}\n",
                               "a/api/Embfile.yml": "tasks: {}\n", "b/api/Embfile.yml": "tasks: {}\n"},
                              "b/api/Embfile.yml"),
    "embfile not a mapping": ({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n",
                               "api/Embfile.yml": "just a string\n"}, "api/Embfile.yml"),
    "embfile unknown key": ({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n",
                             "api/Embfile.yml": "tasks: {t: {script: x}}\ntask: {}\n"}, "api/Embfile.yml:2"),
    "pre unknown": ({".emb.yml": "project: {name: x}\ntasks: {t: {pre: [nothing]}}\n"}, ".emb.yml:2"),
    "embfile yaml syntax": ({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n",
                             "web/Embfile.yml": "tasks:\n  t: {script: x\n  u: 1\n"}, "web/Embfile.yml:3"),
    "unknown flavor": ({".emb.yml": "project: {name: x}\nflavors: {staging: {patches: []}}\n"}, ".emb.yml",
                       ("--flavor", "prod")),
    "bad plugin": ({".emb.yml": "project: {name: x}\nplugins: [autodoker]\n"}, ".emb.yml:2"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_configuration_exits_2_naming_the_file(tmp_path, name):
    files, needle, *global_args = BROKEN[name]
    global_args = global_args[0] if global_args else ()
    write_tree(tmp_path, {k: textwrap.dedent(v) for k, v in files.items()})
    for args in (("tasks",), ("config", "print", "--json")):
        result = run_emb(*global_args, *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert needle in result.stderr, result.stderr
        assert result.stderr.startswith("emb: error: ")
        first = result.stderr.splitlines()[0]
        assert all(line.startswith("  hint: ") for line in result.stderr.splitlines()[1:]), result.stderr
        assert result.stdout == ""
    assert first  # the one-line message


def test_unknown_flavor_and_missing_config_exit_2(shop, tmp_path):
    result = run_emb("--flavor", "prod", "tasks", cwd=shop)
    assert result.returncode == 2 and "unknown flavor 'prod' (available: staging)" in result.stderr
    result = run_emb("tasks", cwd=tmp_path)
    assert result.returncode == 2 and str(tmp_path) in result.stderr and ".emb.yml" in result.stderr
    assert "Traceback" not in result.stderr


def test_tasks_run_is_emb_run(tmp_path):
    write_tree(tmp_path, {".emb.yml": "project: {name: x}\ntasks:\n  greet: {script: 'echo hello-$WHO', vars: {WHO: you}}\n"})
    via_tasks = emb_ok("tasks", "run", "greet", cwd=tmp_path)
    assert via_tasks.stdout == "hello-you\n"
    assert emb_ok("run", "greet", cwd=tmp_path).stdout == via_tasks.stdout


LAZY = {  # values expanded at use (SPEC §1): broken only for the task that needs them
    "undefined env in a script": ("", "t: {script: 'echo ${env:EMB_NOPE}'}",
                                  "task t: environment variable EMB_NOPE is not set"),
    "undefined env in vars": ("", "t: {vars: {A: '${env:EMB_NOPE}'}, script: 'true'}",
                              ".emb.yml:3: at /tasks/t/vars/A: task t: environment variable EMB_NOPE"),
    "unknown source in a var": ("vars: {a: '${secret:token}'}\n", "t: {vars: {A: '${a}'}, script: 'true'}",
                                "unknown source 'secret' in ${secret:token}"),
    "undefined var in a confirm": ("", "t: {confirm: {message: 'go ${nope}?'}, script: 'true'}",
                                   "task t: undefined variable ${nope}"),
}


@pytest.mark.parametrize("name", list(LAZY))
def test_values_expanded_at_use_break_only_that_task(tmp_path, name):
    head, task, needle = LAZY[name]
    write_tree(tmp_path, {".emb.yml": f"project: {{name: x}}\n{head}tasks:\n  {task}\n  other: {{script: echo other}}\n"})
    assert [line.split()[0] for line in emb_ok("tasks", cwd=tmp_path).stdout.splitlines()[1:]] == ["t", "other"]
    emb_ok("config", "print", cwd=tmp_path)
    assert emb_ok("run", "other", cwd=tmp_path).stdout == "other\n"
    for args in (("run", "t"), ("run", "--dry-run", "t"), ("t",)):
        result = run_emb(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("emb: error: ") and needle in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_components_shell_is_emb_shell(tmp_path):
    """EMB 0.30's `emb components shell` is the same command as `emb shell`."""
    write_tree(tmp_path, {".emb.yml": "project: {name: shop}\ncomponents:\n  api: {}\n"})
    via_group = run_emb("components", "shell", "api", cwd=tmp_path)
    direct = run_emb("shell", "api", cwd=tmp_path)
    assert via_group.returncode == direct.returncode != 0
    assert via_group.stderr == direct.stderr and "Compose" in direct.stderr
    listing = run_emb("components", cwd=tmp_path)
    assert listing.returncode == 0 and listing.stdout.splitlines()[1].startswith("api")
