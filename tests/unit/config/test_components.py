"""Inline components, Embfiles and autodocker folders merge into one set of components."""

from __future__ import annotations

import textwrap

import pytest


def emb(text: str) -> str:
    return "project: {name: shop}\n" + textwrap.dedent(text)


def test_inline_component_defaults_its_folder_to_its_name_and_merges_the_embfile(repo):
    repo.write({".emb.yml": emb("""\
        plugins: [autodocker, embfiles]
        components:
          api:
            description: from .emb.yml
            kubernetes: {deployment: api-server}
            tasks:
              seed: {script: seed}
        """),
        "api/Dockerfile": "",
        "api/Embfile.yml": "description: from Embfile\nkubernetes: {container: app}\ntasks:\n  migrate: {script: m}\n"})
    api = repo.load().components["api"]
    assert api.description == "from Embfile"  # the Embfile is merged over .emb.yml (EMB 0.30)
    assert (api.kubernetes.deployment, api.kubernetes.container) == ("api-server", "app")  # key by key
    assert set(api.tasks) == {"api:migrate", "api:seed"}


def test_inline_component_with_root_dir_binds_that_folder_under_its_name(repo):
    repo.write({".emb.yml": emb("""\
        plugins: [autodocker, embfiles]
        components:
          api: {rootDir: services/api-server}
        """),
        "services/api-server/Dockerfile": "",
        "services/api-server/Embfile.yml": "tasks: {migrate: {script: m}}\n"})
    mono = repo.load(root=None)
    assert list(mono.components) == ["api"]
    assert mono.components["api"].rel_dir == "services/api-server"
    assert list(mono.tasks) == ["api:migrate"]


def test_two_components_with_one_name_from_different_folders_is_an_error(repo):
    repo.write({".emb.yml": emb("""\
        plugins: [autodocker]
        components:
          api: {rootDir: services/api}
        """),
        "api/Dockerfile": "", "services/api/x": ""})
    err = repo.error()
    assert "two components are named 'api'" in err.message
    assert "services/api" in err.message and "folder api" in err.message and ".emb.yml" in err.message


def test_same_task_in_embfile_and_emb_yml_is_one_task_merged_as_emb_030_does(repo):
    repo.write({".emb.yml": emb("""\
        plugins: [embfiles]
        components:
          api:
            tasks: {migrate: {script: two, description: inline, pre: [a], executors: [local]}}
            resources: {data: {type: file, params: {path: d.txt}}}
          a: {tasks: {a: {script: a}}}
          b: {tasks: {b: {script: b}}}
        """),
        "api/Embfile.yml": "tasks: {migrate: {script: one, pre: [b], executors: [container]}}\n"
                           "resources: {data: {type: file, params: {content: hi}}}\n"})
    mono = repo.load()
    task = mono.tasks["api:migrate"]
    assert task.script == "one" and task.description == "inline"  # mappings merge, the Embfile wins
    assert task.pre == ("a", "b") and task.executors == ("local", "container")  # lists concatenate
    assert dict(mono.resources["api:data"].params) == {"path": "d.txt", "content": "hi"}


def test_an_empty_embfile_is_an_empty_component(repo):
    repo.write({".emb.yml": emb("plugins: [embfiles]\n"), "api/Embfile.yml": "# nothing yet\n"})
    assert list(repo.load().components) == ["api"]


def test_autodocker_gives_each_component_an_image_resource_unless_it_declares_one(repo):
    repo.write({".emb.yml": emb("plugins: [autodocker, embfiles]\n"),
                "api/Dockerfile": "", "web/Dockerfile": "", "docs/Dockerfile": "",
                "web/Embfile.yml": "resources: {image: {type: docker/image, params: {target: prod}}}\n",
                "docs/Embfile.yml": "resources: {image: {type: docker/image, rebuildTrigger: {strategy: always}}}\n"})
    mono = repo.load()
    assert dict(mono.resources["docs:image"].params) == {}  # autodocker's params: {} (EMB 0.30 merges it)
    assert mono.resources["docs:image"].rebuild_trigger == {"strategy": "always"}
    assert mono.resources["api:image"].type == "docker/image" and not mono.resources["api:image"].params
    assert dict(mono.resources["web:image"].params) == {"target": "prod"}
    assert mono.components["api"].resources == ("api:image",)


def test_empty_inline_component_and_declaration_order(repo):
    repo.write({".emb.yml": emb("""\
        plugins: [autodocker]
        components:
          zeta:
          alpha: {rootDir: lib/alpha}
        tasks:
          t: {script: x}
        """), "beta/Dockerfile": "", "aardvark/Dockerfile": ""})
    mono = repo.load()
    # inline first, in their order; then discovered folders sorted
    assert list(mono.components) == ["zeta", "alpha", "aardvark", "beta"]
    assert mono.components["zeta"].rel_dir == "zeta"


def test_component_and_project_task_ids(repo):
    repo.write({".emb.yml": emb("""\
        components:
          api:
            tasks: {test: {script: a}}
        tasks:
          test: {script: b}
        """)})
    mono = repo.load()
    assert list(mono.tasks) == ["api:test", "test"]
    assert (mono.tasks["api:test"].component, mono.tasks["api:test"].name) == ("api", "test")
    assert mono.tasks["test"].component is None
    assert mono.components["api"].tasks == ("api:test",)


def test_names_may_contain_a_colon_as_in_emb_030(repo):
    """EMB 0.30 does not restrict these keys; ids are matched as whole strings."""
    repo.write({".emb.yml": "project: {name: x}\ncomponents:\n  'a:b': {}\n"
                            "tasks:\n  'db:migrate': {script: x}\n"})
    mono = repo.load()
    assert "a:b" in mono.components and mono.tasks["db:migrate"].name == "db:migrate"


def test_names_keep_their_yaml_text(repo):
    """`on:` and `1:` are YAML booleans/ints as values; as names they stay "on" and "1"."""
    repo.write({".emb.yml": "project: {name: x}\ntasks:\n  on: {script: a}\n  1: {script: b}\n"})
    assert list(repo.load().tasks) == ["on", "1"]


@pytest.mark.parametrize("doc,needle", [
    ("tasks:\n  '  ': {script: a}\n", "invalid value '  '"),
    ("env:\n  'A=B': a\n", "invalid value 'A=B'"),
])
def test_invalid_names_are_explained(repo, doc, needle):
    repo.write({".emb.yml": "project: {name: x}\n" + doc})
    assert needle in repo.error().message


def test_yaml_anchors_and_merge_keys_work(repo):
    repo.write({".emb.yml": """\
        project: {name: x}
        tasks:
          base: &base {script: echo base, executors: [local], description: shared}
          other:
            <<: *base
            script: echo other
        """})
    other = repo.load().tasks["other"]
    assert (other.script, other.executors, other.description) == ("echo other", ("local",), "shared")


def test_component_root_dir_must_be_relative(repo):
    repo.write({".emb.yml": "project: {name: x}\ncomponents: {api: {rootDir: /etc}}\n"})
    err = repo.error()
    assert "rootDir /etc is absolute" in err.message and "/components/api/rootDir" in err.message


def test_a_folder_name_that_is_not_a_valid_component_name_is_an_error_without_a_flavor(repo):
    repo.write({".emb.yml": "project: {name: x}\nplugins: [autodocker]\n",
                "--kubeconfig=evil.yaml/Dockerfile": "FROM scratch\n"})
    err = repo.error()
    assert "would be a component named '--kubeconfig=evil.yaml', which is not a valid name" in err.message


def test_a_flavor_cannot_change_the_project_root_dir(repo):
    repo.write({".emb.yml": "project: {name: x}\nflavors:\n  f: {patches: [{op: add, path: /project/rootDir, value: sub}]}\n",
                "sub/.keep": ""})
    assert repo.load().resolved["project"].get("rootDir", ".") == "."
    err = repo.error(flavor="f")
    assert "changes project.rootDir, which a flavor cannot change" in err.message
