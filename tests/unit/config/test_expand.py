"""SPEC §1 "Expansion": ${env:..}, ${env:..:-default}, ${vars:..}, \\${ literals,
shell syntax untouched, no second expansion, errors naming variable, file and path."""

from __future__ import annotations

import pytest

from emb.config.expand import Expander
from emb.errors import ConfigError


def fail(path, message, hints=()):
    return ConfigError(f"{'/'.join(map(str, path))}: {message}", list(hints))


def expand(text, env=None, variables=None):
    return Expander(env or {}, variables or {}, fail).string(text, ("tasks", "t", "script"))


def test_env_reference_and_default():
    assert expand("tag=${env:TAG}", {"TAG": "v1"}) == "tag=v1"
    assert expand("${env:TAG:-latest}", {}) == "latest"
    assert expand("${env:TAG:-latest}", {"TAG": "v2"}) == "v2"
    assert expand("${env:TAG:-latest}", {"TAG": ""}) == "latest"  # like the shell's :-
    assert expand("[${env:TAG}]", {"TAG": ""}) == "[]"  # set but empty is defined


def test_default_may_itself_hold_references():
    assert expand("${env:A:-${env:B}-x}", {"B": "b"}) == "b-x"
    assert expand("${env:A:-${vars:v}}", {}, {"v": "from-vars"}) == "from-vars"


def test_vars_reference_and_vars_using_env_and_other_vars():
    assert expand("${vars:registry}/api", variables={"registry": "ghcr.io/acme"}) == "ghcr.io/acme/api"
    variables = {"image": "${vars:registry}/api:${env:TAG}", "registry": "r.io"}
    assert expand("${vars:image}", {"TAG": "7"}, variables) == "r.io/api:7"


def test_vars_cycle_is_an_error():
    with pytest.raises(ConfigError, match="cycle: a -> b -> a"):
        expand("${vars:a}", variables={"a": "${vars:b}", "b": "${vars:a}"})


def test_escaped_reference_is_literal():
    assert expand(r"echo \${env:HOME} done", {"HOME": "/root"}) == "echo ${env:HOME} done"
    assert expand(r"\${vars:x}", variables={}) == "${vars:x}"  # not an error: it is not a reference


@pytest.mark.parametrize("script", [
    "echo ${HOME}", "echo ${foo:-x}", "echo ${#x}", "echo $(date) $HOME", "echo ${x:1}",
    r"printf '\${HOME}'", "awk '{print $1}'", "${env}", "${ env:X }",
])
def test_shell_syntax_passes_through_untouched(script):
    assert expand(script, {"HOME": "/h", "X": "x"}) == script


def test_substituted_values_are_not_expanded_again():
    tricky = "a$b ${env:OTHER} \"q\" 'q' \\ \n${HOME}"
    assert expand("${env:V}", {"V": tricky, "OTHER": "no"}) == tricky
    assert expand("${vars:v}", variables={"v": r"\${env:X}"}) == "${env:X}"


def test_unset_variable_is_an_error_naming_it_and_the_path():
    with pytest.raises(ConfigError) as info:
        expand("echo ${env:DATABASE_URL}", {})
    assert "DATABASE_URL" in info.value.message and "tasks/t/script" in info.value.message


def test_undefined_var_and_unknown_source_are_errors():
    with pytest.raises(ConfigError, match=r"undefined variable \$\{vars:nope\}"):
        expand("${vars:nope}", variables={"yes": "1"})
    with pytest.raises(ConfigError, match=r"unknown reference \$\{secret:x\}"):
        expand("${secret:x}")


def test_malformed_and_unterminated_references_are_errors():
    with pytest.raises(ConfigError, match="malformed"):
        expand("${env:A B}", {"A": "1"})
    with pytest.raises(ConfigError, match="unterminated"):
        expand("${env:A", {"A": "1"})


def test_tree_expands_values_not_keys_and_keeps_other_types():
    ex = Expander({"E": "e"}, {}, fail)
    tree = {"${env:E}": ["${env:E}", 1, True, None, {"k": "x${env:E}"}]}
    assert ex.tree(tree) == {"${env:E}": ["e", 1, True, None, {"k": "xe"}]}


# -- through the loader: which strings are expanded, and what the error says ---------------------

def test_every_string_value_of_the_document_is_expanded(repo):
    repo.write({".emb.yml": """\
        project: {name: "${env:NAME}"}
        vars: {reg: r.io}
        kubernetes: {namespace: "${env:NS:-default}", context: "${vars:reg}"}
        components:
          api:
            description: "api on ${vars:reg}"
            kubernetes: {deployment: "${env:NAME}-api"}
            tasks:
              t:
                script: echo ${vars:reg} ${HOME}
                vars: {IMAGE: "${vars:reg}/api:${env:TAG:-latest}"}
                confirm: {message: "Really ${env:NAME}?", expect: "${env:NAME}"}
        """})
    mono = repo.load(NAME="shop")
    assert mono.name == "shop"
    assert mono.kubernetes.namespace == "default" and mono.kubernetes.context == "r.io"
    api = mono.components["api"]
    assert api.description == "api on r.io" and api.kubernetes.deployment == "shop-api"
    task = mono.tasks["api:t"]
    assert task.script == "echo r.io ${HOME}"
    assert dict(task.vars) == {"IMAGE": "r.io/api:latest"}
    assert task.confirm.message == "Really shop?" and task.confirm.expect == "shop"


def test_unset_variable_error_names_variable_file_path_and_line(repo):
    repo.write({".emb.yml": "project: {name: x}\ntasks:\n  t:\n    script: echo ${env:DB_URL}\n"})
    err = repo.error()
    assert "DB_URL" in err.message
    assert ".emb.yml:4:" in err.message and "/tasks/t/script" in err.message


def test_error_in_an_embfile_names_the_embfile_and_its_own_path(repo):
    repo.write({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n",
                "api/Embfile.yml": "tasks:\n  t:\n    script: ok\n    vars: {A: '${env:MISSING}'}\n"})
    err = repo.error()
    assert "api/Embfile.yml:4:" in err.message and "at /tasks/t/vars/A" in err.message


def test_env_block_is_exported_in_order_and_visible_to_later_values(repo):
    repo.write({".emb.yml": """\
        project: {name: x}
        env:
          TAG: "${env:TAG:-latest}"
          IMAGE: "app:${env:TAG}"
          PORT: 8080
        tasks:
          t: {script: "echo ${env:IMAGE}"}
        """})
    mono = repo.load()
    assert repo.environ["TAG"] == "latest" and repo.environ["IMAGE"] == "app:latest"
    assert repo.environ["PORT"] == "8080"
    assert mono.resolved["env"] == {"TAG": "latest", "IMAGE": "app:latest", "PORT": "8080"}
    assert mono.tasks["t"].script == "echo app:latest"
    mono = repo.load(TAG="v9")
    assert mono.tasks["t"].script == "echo app:v9"


def test_env_block_default_is_overridden_by_the_real_environment(repo, monkeypatch):
    """load() without an explicit environ exports into os.environ (the local executor inherits it)."""
    import os

    from emb.config import load

    repo.write({".emb.yml": "project: {name: x}\nenv: {EMB_TEST_TAG: '${env:EMB_TEST_TAG:-latest}'}\n"})
    monkeypatch.delenv("EMB_TEST_TAG", raising=False)
    load(cwd=repo.root)
    assert os.environ["EMB_TEST_TAG"] == "latest"
    monkeypatch.setenv("EMB_TEST_TAG", "v3")
    load(cwd=repo.root)
    assert os.environ["EMB_TEST_TAG"] == "v3"
