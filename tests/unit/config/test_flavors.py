"""SPEC §1 "Flavors": JSON patches, component level first (relative paths), then project level."""

from __future__ import annotations

from emb.config.values import resolve_task

EMB = """\
project: {name: shop}
vars: {appEnv: development}
kubernetes: {namespace: default}
components:
  api:
    description: API
    tasks:
      migrate:
        script: echo migrating ${vars:appEnv}
    flavors:
      staging:
        patches:
          - {op: add, path: /tasks/migrate/confirm, value: {message: sure?, expect: "${vars:appEnv}"}}
          - {op: replace, path: /description, value: API (component patch)}
flavors:
  staging:
    patches:
      - {op: replace, path: /kubernetes/namespace, value: staging}
      - {op: replace, path: /vars/appEnv, value: staging}
  production:
    patch:
      - {op: replace, path: /kubernetes/namespace, value: production}
"""


def test_no_flavor_no_patches(repo):
    mono = repo.write({".emb.yml": EMB}).load()
    assert mono.flavor is None and mono.kubernetes.namespace == "default"
    assert mono.tasks["api:migrate"].confirm is None


def test_project_and_component_patches_then_expansion(repo):
    mono = repo.write({".emb.yml": EMB}).load(flavor="staging")
    assert mono.flavor == "staging"
    assert mono.kubernetes.namespace == "staging"
    task = resolve_task(mono, mono.tasks["api:migrate"])
    assert task.script == "echo migrating staging"  # vars patched before expansion
    assert task.confirm.expect == "staging"  # the patched var, when the task is used
    assert mono.components["api"].description == "API (component patch)"
    assert mono.resolved["kubernetes"]["namespace"] == "staging"
    assert "flavors" not in mono.resolved and "flavors" not in mono.resolved["components"]["api"]


def test_patch_is_a_synonym_of_patches(repo):
    mono = repo.write({".emb.yml": EMB}).load(flavor="production")
    assert mono.kubernetes.namespace == "production"


def test_emb_flavor_environment_variable(repo):
    mono = repo.write({".emb.yml": EMB}).load(EMB_FLAVOR="production")
    assert mono.flavor == "production" and mono.kubernetes.namespace == "production"


def test_component_patches_apply_before_project_patches(repo):
    """The project patch `test`s the value the component patch wrote: it only passes in that order."""
    doc = EMB + (
        "  ordered:\n"
        "    patches:\n"
        "      - {op: test, path: /components/api/description, value: from component}\n"
        "      - {op: replace, path: /components/api/description, value: from project}\n"
    )
    doc = doc.replace("    flavors:\n      staging:", "    flavors:\n      ordered:\n        patches:\n"
                      "          - {op: replace, path: /description, value: from component}\n      staging:", 1)
    mono = repo.write({".emb.yml": doc}).load(flavor="ordered")
    assert mono.components["api"].description == "from project"


def test_flavor_declared_only_by_a_component_is_known(repo):
    repo.write({".emb.yml": "project: {name: x}\nplugins: [embfiles]\n",
                "api/Embfile.yml": "tasks: {t: {script: a}}\nflavors:\n  ci:\n"
                                   "    patches: [{op: replace, path: /tasks/t/script, value: b}]\n"})
    assert repo.load(flavor="ci").tasks["api:t"].script == "b"


def test_unknown_flavor_lists_the_available_ones(repo):
    err = repo.write({".emb.yml": EMB}).error(flavor="stagign")
    assert "unknown flavor 'stagign'" in err.message
    assert "production, staging" in err.message


def test_patch_on_a_missing_path_names_flavor_patch_and_file(repo):
    doc = EMB.replace("- {op: replace, path: /kubernetes/namespace, value: production}",
                      "- {op: replace, path: /kubernetes/context, value: prod}")
    err = repo.write({".emb.yml": doc}).error(flavor="production")
    assert "flavor 'production'" in err.message and "patch #1" in err.message
    assert "/kubernetes/context" in err.message and ".emb.yml:" in err.message


def test_component_patch_paths_are_relative_to_the_component(repo):
    doc = EMB.replace("path: /description", "path: /components/api/description")
    err = repo.write({".emb.yml": doc}).error(flavor="staging")
    assert "patch #2" in err.message and "component api" in err.message
    assert "/components does not exist" in err.message


def test_flavored_result_is_validated(repo):
    doc = EMB.replace("value: production}", "value: production}\n      - {op: add, path: /kubernetes/namespaces, value: x}")
    err = repo.write({".emb.yml": doc}).error(flavor="production")
    assert "unknown key 'namespaces'" in err.message and "did you mean 'namespace'" in err.message
    assert ".emb.yml" in err.message


def test_patches_and_patch_together_are_an_error(repo):
    doc = EMB.replace("    patch:\n", "    patches: []\n    patch:\n")
    assert "both `patches` and `patch`" in repo.write({".emb.yml": doc}).error(flavor="production").message


def test_vars_used_before_the_flavor_are_not_stale_after_it(repo):
    """A var used early (in a plugin's config) and patched by the flavor has its patched value later."""
    repo.write({".emb.yml": EMB.replace("project: {name: shop}",
                                        "project: {name: shop}\nplugins: [{name: dotenv, config: '.env.${vars:appEnv}'}]")})
    mono = repo.load(flavor="staging")
    assert resolve_task(mono, mono.tasks["api:migrate"]).script == "echo migrating staging"
