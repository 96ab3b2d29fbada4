"""SPEC §1 "Expansion": ${env:..}, ${env:..:-default}, ${vars:..}, \\${ literals,
shell syntax untouched, no second expansion, errors naming variable, file and path."""

from __future__ import annotations

import pytest

from emb.config.expand import Expander
from emb.config.values import resolve_task
from emb.errors import ConfigError


def fail(path, message, hints=()):
    return ConfigError(f"{'/'.join(map(str, path))}: {message}", list(hints))


def expand(text, env=None, variables=None, **options):
    return Expander(env or {}, variables or {}, fail).string(text, ("tasks", "t", "vars", "X"), **options)


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
def test_shell_syntax_passes_through_untouched_in_scripts(script):
    assert expand(script, {"HOME": "/h", "X": "x"}, script=True) == script


def test_scripts_expand_references_with_a_known_source_only():
    assert expand("echo ${env:X} ${vars:v} ${X} ${other:y}", {"X": "x"}, {"v": "V"}, script=True) == \
        "echo x V ${X} ${other:y}"
    assert expand(r"echo \${env:X}", {"X": "x"}, script=True) == "echo ${env:X}"


def test_bare_name_is_a_var_outside_scripts_and_env_in_the_env_block():
    assert expand("${v}-${w:-dflt}", {"v": "from-env"}, {"v": "from-vars"}) == "from-vars-dflt"
    assert expand("${v}", {"v": "from-env"}, {"v": "x"}, default_source="env") == "from-env"
    assert expand("${docker.registry}/${release-channel}", variables={
        "docker.registry": "ghcr.io", "release-channel": "stable"}) == "ghcr.io/stable"


def test_fallback_on_unset_or_empty_and_for_an_unknown_source():
    assert expand("${vars:e:-d}", variables={"e": ""}) == "d"
    assert expand("${nosuch:thing:-d}") == "d"
    assert expand("${env:E}", {"E": ""}) == ""


def test_registered_sources_get_the_body_and_may_fail_into_a_fallback():
    from emb.config.expand import Sources
    from emb.errors import EmbError

    seen = []

    def vault(body):
        seen.append(body)
        if "missing" in body:
            raise EmbError(f"no secret at {body}")
        return "s3cret"

    sources = Sources()
    sources.register("vault", vault, secret=True)
    ex = Expander({}, {}, fail, sources)
    assert ex.string("${vault:secret/prod/db#password}", ("t",)) == "s3cret"
    assert ex.string("${vault:secret/missing#k:-none}", ("t",)) == "none"
    with pytest.raises(EmbError, match="no secret at secret/missing#k"):
        ex.string("${vault:secret/missing#k}", ("t",))
    assert seen == ["secret/prod/db#password", "secret/missing#k", "secret/missing#k"]
    # Display (`config print`) never reads a secret source.
    assert ex.string("${vault:a#b}", ("t",), display=True) == "${vault:a#b}" and len(seen) == 3


def test_substituted_values_are_not_expanded_again():
    tricky = "a$b ${env:OTHER} \"q\" 'q' \\ \n${HOME}"
    assert expand("${env:V}", {"V": tricky, "OTHER": "no"}) == tricky
    assert expand("${vars:v}", variables={"v": r"\${env:X}"}) == "${env:X}"


def test_unset_variable_is_an_error_naming_it_and_the_path():
    with pytest.raises(ConfigError) as info:
        expand("echo ${env:DATABASE_URL}", {})
    assert "DATABASE_URL" in info.value.message and "tasks/t/vars/X" in info.value.message


def test_undefined_var_and_unknown_source_are_errors():
    with pytest.raises(ConfigError, match=r"undefined variable \$\{vars:nope\}"):
        expand("${vars:nope}", variables={"yes": "1"})
    with pytest.raises(ConfigError, match=r"unknown source 'secret' in \$\{secret:x\}"):
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

def test_the_fields_of_spec_1_are_expanded_load_time_ones_at_load_the_rest_at_use(repo):
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
    assert api.description == "api on ${vars:reg}"  # not a field SPEC §1 expands (nor does EMB 0.30)
    assert api.kubernetes.deployment == "shop-api"
    assert mono.tasks["api:t"].script == "echo ${vars:reg} ${HOME}"  # as written until used
    task = resolve_task(mono, mono.tasks["api:t"])
    assert task.script == "echo r.io ${HOME}"
    assert dict(task.vars) == {"IMAGE": "r.io/api:latest"}
    assert task.confirm.message == "Really shop?" and task.confirm.expect == "shop"


def test_unset_variable_error_names_variable_task_file_path_and_line(repo):
    repo.write({".emb.yml": "project: {name: x}\ntasks:\n  t:\n    script: echo ${env:DB_URL}\n"})
    mono = repo.load()  # loading does not need it
    with pytest.raises(ConfigError) as info:
        resolve_task(mono, mono.tasks["t"])
    err = info.value
    assert "task t: environment variable DB_URL is not set" in err.message
    assert ".emb.yml:4:" in err.message and "/tasks/t/script" in err.message


def test_error_in_an_embfile_names_the_embfile_and_its_own_path(repo):
    repo.write({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n",
                "api/Embfile.yml": "tasks:\n  t:\n    script: ok\n    vars: {A: '${env:MISSING}'}\n"})
    mono = repo.load()
    with pytest.raises(ConfigError) as info:
        resolve_task(mono, mono.tasks["api:t"])
    err = info.value
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
    assert resolve_task(mono, mono.tasks["t"]).script == "echo app:latest"
    mono = repo.load(TAG="v9")
    assert resolve_task(mono, mono.tasks["t"]).script == "echo app:v9"


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


def test_confirm_texts_read_the_tasks_expanded_vars_in_one_pass(repo):
    repo.write({".emb.yml": """\
        project: {name: x}
        vars: {region: eu}
        tasks:
          deploy:
            vars: {TARGET: "${env:TARGET:-prod}", TRICKY: '$TARGET \\${x}'}
            confirm:
              message: "Deploy ${vars:TARGET} ($TARGET, $FROM_ENV, $NOPE) in ${region}? ${TRICKY}"
              expect: "${TARGET}"
            script: "true"
        """})
    mono = repo.load(FROM_ENV="outside")
    task = resolve_task(mono, mono.tasks["deploy"])
    # ${vars:X} and ${X}: the task's vars, then the project's; $X: the task var, else the
    # environment, else as written; substituted values are not expanded again.
    assert task.confirm.message == "Deploy prod (prod, outside, $NOPE) in eu? $TARGET ${x}"
    assert task.confirm.expect == "prod"


def test_an_unset_variable_breaks_only_the_task_that_uses_it(repo):
    repo.write({".emb.yml": """\
        project: {name: x}
        defaults: {docker: {tag: "${env:DOCKER_TAG}"}}
        tasks:
          needs: {vars: {T: "${env:NEVER_SET}"}, script: "true"}
          fine: {script: "echo ${env:HOME:-h}"}
        """})
    mono = repo.load()
    assert resolve_task(mono, mono.tasks["fine"]).script == "echo h"
    with pytest.raises(ConfigError, match="task needs: environment variable NEVER_SET is not set"):
        resolve_task(mono, mono.tasks["needs"])
    from emb.config.values import docker_defaults

    with pytest.raises(ConfigError, match=r"\.emb\.yml:2: at /defaults/docker/tag: environment variable DOCKER_TAG"):
        docker_defaults(mono)


def test_flavor_patch_values_are_expanded_where_they_land(repo):
    repo.write({".emb.yml": """\
        project: {name: x}
        vars: {v: one}
        components:
          api:
            description: plain
            tasks: {t: {script: "echo ${vars:v}"}}
        flavors:
          f:
            patches:
              - {op: replace, path: /components/api/description, value: "desc ${env:WHO}"}
              - {op: replace, path: /components/api/tasks/t/script, value: "echo ${vars:v} ${env:LATE:-late}"}
              - {op: replace, path: /vars/v, value: "two"}
        """})
    mono = repo.load(flavor="f", WHO="me")
    assert mono.components["api"].description == "desc me"  # expanded when applied
    assert mono.tasks["api:t"].script == "echo ${vars:v} ${env:LATE:-late}"  # left for the task's use
    assert resolve_task(mono, mono.tasks["api:t"]).script == "echo two late"


def test_patch_value_error_names_the_flavor_file_and_patch(repo):
    repo.write({".emb.yml": """\
        project: {name: x}
        components: {api: {description: d}}
        flavors:
          f:
            patches:
              - {op: replace, path: /components/api/description, value: "${env:NOPE}"}
        """})
    err = repo.error(flavor="f")
    assert ".emb.yml:6: at /flavors/f/patches/0/value: environment variable NOPE" in err.message


def test_config_print_shows_what_resolves_and_keeps_the_rest_as_written(repo):
    from emb.config.values import display_document

    repo.write({".emb.yml": """\
        project: {name: x}
        vars: {a: "${env:A:-dflt}", b: "${env:UNSET_B}"}
        tasks:
          t: {vars: {X: "${vars:a}", Y: "${env:UNSET_Y}"}, script: "echo ${vars:a} ${HOME}"}
        """})
    doc = display_document(repo.load())
    assert doc["vars"] == {"a": "dflt", "b": "${env:UNSET_B}"}
    assert doc["tasks"]["t"] == {"vars": {"X": "dflt", "Y": "${env:UNSET_Y}"}, "script": "echo dflt ${HOME}"}


def test_find_references_lists_them_without_expanding():
    from emb.config.expand import find_references

    text = r"a ${vault:secret/db#pw} ${op:My Vault/Item#f:-x} ${who} \${env:NO} ${#shell}"
    assert find_references(text) == [("vault", "secret/db#pw", None), ("op", "My Vault/Item#f", "x"),
                                     (None, "who", None), (None, "#shell", None)]
