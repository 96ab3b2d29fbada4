"""SPEC §1 plugins: autodocker, embfiles, dotenv, applied in order."""

from __future__ import annotations

import textwrap

import pytest

from emb.config.values import resolve_task

EMB = "project: {name: shop}\n"


def emb(text: str) -> str:
    """.emb.yml: the project line plus an indented block (dedented)."""
    return EMB + textwrap.dedent(text)


def test_autodocker_makes_a_component_of_each_dockerfile_folder(repo):
    repo.write({".emb.yml": EMB + "plugins: [{name: autodocker}]\n",
                "api/Dockerfile": "FROM x\n", "web/Dockerfile": "FROM x\n", "docs/README": "",
                ".hidden/Dockerfile": "FROM x\n"})
    mono = repo.load()
    assert list(mono.components) == ["api", "web"]
    assert mono.components["api"].root_dir == repo.root / "api"
    assert mono.components["web"].rel_dir == "web"


def test_autodocker_glob_and_ignore(repo):
    repo.write({".emb.yml": emb("""\
        plugins:
          - name: autodocker
            config: {glob: "services/*/Dockerfile", ignore: ["services/legacy*"]}
        """),
        "services/api/Dockerfile": "", "services/legacy-app/Dockerfile": "", "web/Dockerfile": ""})
    mono = repo.load()
    assert list(mono.components) == ["api"]
    assert mono.components["api"].rel_dir == "services/api"


def test_plugins_do_nothing_unless_listed(repo):
    repo.write({".emb.yml": EMB, "api/Dockerfile": "", "web/Embfile.yml": "tasks: {t: {script: x}}\n"})
    mono = repo.load()
    assert dict(mono.components) == {} and dict(mono.tasks) == {}


def test_embfiles_merge_into_autodocker_components_and_create_missing_ones(repo):
    repo.write({".emb.yml": EMB + "plugins: [autodocker, embfiles]\n",
                "api/Dockerfile": "",
                "api/Embfile.yml": "description: REST API\ntasks:\n  migrate: {script: ./migrate}\n",
                "tools/Embfile.yaml": "tasks:\n  lint: {script: lint}\n"})
    mono = repo.load()
    assert list(mono.components) == ["api", "tools"]
    assert mono.components["api"].description == "REST API"
    assert mono.components["api"].tasks == ("api:migrate",)
    assert mono.tasks["tools:lint"].script == "lint"
    assert mono.components["tools"].root_dir == repo.root / "tools"


def test_embfiles_glob_is_configurable(repo):
    repo.write({".emb.yml": EMB + "plugins: [{name: embfiles, config: {glob: 'apps/*/emb.yml'}}]\n",
                "apps/api/emb.yml": "tasks: {t: {script: x}}\n",
                "other/Embfile.yml": "tasks: {u: {script: y}}\n"})
    mono = repo.load()
    assert list(mono.tasks) == ["api:t"]
    assert mono.components["api"].rel_dir == "apps/api"


def test_two_embfiles_in_one_folder_is_an_error(repo):
    repo.write({".emb.yml": EMB + "plugins: [embfiles]\n",
                "api/Embfile.yml": "tasks: {}\n", "api/Embfile.yaml": "tasks: {}\n"})
    assert "two Embfiles in folder api" in repo.error().message


def test_dotenv_loads_dot_env_by_default_without_overriding_the_environment(repo):
    repo.write({".emb.yml": EMB + "plugins: [dotenv]\ntasks:\n  t: {script: 'echo ${env:A} ${env:B}'}\n",
                ".env": "A=from-file\nB=from-file\n"})
    mono = repo.load(B="from-shell")
    assert resolve_task(mono, mono.tasks["t"]).script == "echo from-file from-shell"
    assert repo.environ["A"] == "from-file" and repo.environ["B"] == "from-shell"


def test_dotenv_values_are_cached_by_content_and_reparsed_when_the_file_changes(repo):
    repo.write({".emb.yml": EMB + "plugins: [dotenv]\ntasks:\n  t: {script: 'echo ${env:A}'}\n",
                ".env": "A=first\n"})
    def load_fresh():  # each load as a new emb process: nothing set in its environment yet
        repo.environ.clear()
        mono = repo.load()
        return resolve_task(mono, mono.tasks["t"]).script

    assert load_fresh() == "echo first"
    assert (repo.root / ".emb/cache/parsed.marshal").is_file()
    assert load_fresh() == "echo first"  # served from .emb/cache
    repo.write({".env": "A=second\n"})
    assert load_fresh() == "echo second"


def test_dotenv_files_in_order_later_wins_missing_skipped(repo):
    repo.write({".emb.yml": emb("""\
        plugins:
          - name: dotenv
            config: [.env, .env.missing, .env.local]
        tasks:
          t: {script: "${env:A} ${env:B}"}
        """),
        ".env": "A=base\nB=base\n", ".env.local": "B=local\n"})
    mono = repo.load()
    assert resolve_task(mono, mono.tasks["t"]).script == "base local"


def test_dotenv_is_applied_before_expansion_and_plugins_run_in_order(repo):
    """The dotenv plugin's variables are visible to every later plugin and to all values."""
    repo.write({".emb.yml": emb("""\
        plugins:
          - name: dotenv
          - name: embfiles
            config: {glob: "${env:APPS}/*/Embfile.yml"}
        kubernetes: {namespace: "${env:NS}"}
        """),
        ".env": "APPS=apps\nNS=dev\n", "apps/api/Embfile.yml": "tasks: {t: {script: x}}\n"})
    mono = repo.load()
    assert list(mono.tasks) == ["api:t"] and mono.kubernetes.namespace == "dev"

    repo.write({".emb.yml": emb("""\
        plugins:
          - name: embfiles
            config: {glob: "${env:APPS}/*/Embfile.yml"}
          - name: dotenv
        """)})
    repo.environ.clear()  # as in a new process
    err = repo.error()  # embfiles runs first: APPS is not set yet
    assert "APPS" in err.message and "/plugins/0/config/glob" in err.message


def test_plugin_name_shorthand_and_config_validation(repo):
    repo.write({".emb.yml": EMB + "plugins: [{name: autodocker, config: {globs: x}}]\n"})
    err = repo.error()
    assert "unknown key 'globs'" in err.message and "did you mean 'glob'" in err.message


@pytest.mark.parametrize("glob", ["/etc/*/Dockerfile", "../*/Dockerfile"])
def test_globs_must_stay_inside_the_monorepo(repo, glob):
    repo.write({".emb.yml": EMB + f"plugins: [{{name: autodocker, config: {{glob: '{glob}'}}}}]\n"})
    assert "must stay inside the monorepo" in repo.error().message


def test_embfiles_also_reads_the_folders_of_known_components(repo):
    """Components found by autodocker with a deep glob, or declared inline with a rootDir,
    get their Embfile merged although the default `*/Embfile.yml` glob does not reach it."""
    repo.write({".emb.yml": emb("""\
        plugins:
          - {name: autodocker, config: {glob: "services/*/Dockerfile"}}
          - embfiles
        components:
          web: {rootDir: apps/frontend}
        """),
        "services/api/Dockerfile": "", "services/api/Embfile.yml": "tasks: {migrate: {script: m}}\n",
        "apps/frontend/Embfile.yaml": "tasks: {lint: {script: l}}\n"})
    mono = repo.load()
    assert set(mono.tasks) == {"api:migrate", "web:lint"}
    assert mono.components["api"].rel_dir == "services/api"
