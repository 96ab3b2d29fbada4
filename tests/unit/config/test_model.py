"""What load() puts in the emb.model dataclasses, and the checks a schema cannot make."""

from __future__ import annotations

from pathlib import Path

from emb.config.values import resolve_task
from emb.model import pod_source

FULL = """\
project: {name: shop}
vars: {reg: r.io}
kubernetes: {namespace: ns-top, selectorLabel: app.kubernetes.io/component}
defaults:
  kubernetes: {namespace: ns-default, context: ctx-default}
components:
  api:
    rootDir: services/api
    description: REST API
    kubernetes: {deployment: api-server, selector: "app=api,tier=backend", container: app}
    tasks:
      migrate:
        description: Apply migrations
        script: ./migrate
        pre: [build]
        executor: container
        executors: [container, local]
        interactive: true
        workdir: /app
        vars: {PORT: 8080, DEBUG: true, RATIO: 0.5, IMAGE: "${vars:reg}/api"}
        confirm: {message: Sure?}
      build: {script: make}
  web: {}
tasks:
  check: {pre: [api:migrate], executors: [local]}
"""


def test_everything_declared_reaches_the_model(repo):
    mono = repo.write({".emb.yml": FULL}).load()
    assert mono.name == "shop" and mono.root == repo.root
    assert mono.config_file == repo.root / ".emb.yml"
    api = mono.components["api"]
    assert api.root_dir == repo.root / "services" / "api" and api.root_dir.is_absolute()
    assert api.rel_dir == "services/api" and api.description == "REST API"
    assert (api.kubernetes.deployment, api.kubernetes.selector, api.kubernetes.container) == \
        ("api-server", "app=api,tier=backend", "app")
    assert api.tasks == ("api:migrate", "api:build")
    task = mono.tasks["api:migrate"]
    assert task.pre == ("build",) and task.executor == "container"
    assert task.executors == ("container", "local")
    assert task.interactive is True and task.workdir == "/app"
    assert dict(task.vars) == {"PORT": "8080", "DEBUG": "true", "RATIO": "0.5", "IMAGE": "${vars:reg}/api"}
    assert resolve_task(mono, task).vars["IMAGE"] == "r.io/api"  # expanded at use
    assert task.confirm.message == "Sure?" and task.confirm.expect is None
    assert mono.tasks["check"].script is None and mono.tasks["check"].component is None
    assert mono.tasks["api:build"].executors is None and mono.tasks["api:build"].interactive is False
    assert mono.resolved["vars"] == {"reg": "r.io"}


def test_top_level_kubernetes_wins_key_by_key_over_defaults(repo):
    mono = repo.write({".emb.yml": FULL}).load()
    settings = mono.kubernetes
    assert (settings.namespace, settings.context) == ("ns-top", "ctx-default")
    assert dict(settings.sources) == {
        "namespace": "kubernetes.namespace",
        "context": "defaults.kubernetes.context",
        "selector_label": "kubernetes.selectorLabel",
    }
    assert mono.resolved["defaults"]["kubernetes"]["namespace"] == "ns-default"  # shadowed, still shown
    assert pod_source(mono.components["api"], settings) == ("selector", "app=api,tier=backend")
    assert pod_source(mono.components["web"], settings) == ("selector", "app.kubernetes.io/component=web")


def test_resolved_document_is_the_merged_config_and_config_print_expands_it(repo):
    from emb.config.values import display_document

    repo.write({".emb.yml": FULL.replace("  web: {}\n", "") + "plugins: [autodocker]\n", "web/Dockerfile": ""})
    mono = repo.load()
    resolved = mono.resolved
    assert resolved["components"]["api"]["tasks"]["migrate"]["vars"]["IMAGE"] == "${vars:reg}/api"
    assert display_document(mono)["components"]["api"]["tasks"]["migrate"]["vars"]["IMAGE"] == "r.io/api"
    assert resolved["components"]["web"] == {"rootDir": "web", "resources": {"image": {"type": "docker/image", "params": {}}}}
    assert "plugins" not in resolved


def test_pre_must_name_an_existing_task(repo):
    err = repo.write({".emb.yml": FULL.replace("pre: [build]", "pre: [biuld]")}).error()
    assert "pre 'biuld' names no task" in err.message and "/components/api/tasks/migrate/pre/0" in err.message
    assert any("build" in h for h in err.hints)


def test_pre_name_matching_several_tasks_is_ambiguous(repo):
    doc = FULL.replace("  web: {}\n", "  web: {tasks: {lint: {script: a}}}\n  docs: {tasks: {lint: {script: b}}}\n")
    doc = doc.replace("check: {pre: [api:migrate]", "check: {pre: [lint]")
    err = repo.write({".emb.yml": doc}).error()
    assert "ambiguous" in err.message and "web:lint" in err.message and "docs:lint" in err.message


def test_pre_bare_name_prefers_the_same_component(repo):
    doc = FULL.replace("  web: {}\n", "  web: {tasks: {build: {script: a}}}\n")
    assert repo.write({".emb.yml": doc}).load().tasks["api:migrate"].pre == ("build",)


def test_executor_must_be_among_executors(repo):
    err = repo.write({".emb.yml": FULL.replace("executor: container", "executor: kubernetes")}).error()
    assert "executor 'kubernetes' is not in its executors" in err.message


def test_project_task_cannot_use_component_executors(repo):
    err = repo.write({".emb.yml": FULL.replace("executors: [local]", "executors: [local, container]")}).error()
    assert "project task check cannot use the container executor" in err.message


def test_project_root_dir_that_does_not_exist(repo):
    err = repo.write({".emb.yml": "project: {name: x, rootDir: nowhere}\n"}).error()
    assert "nowhere" in err.message and "/project/rootDir" in err.message


def test_load_with_explicit_root_and_cwd(repo, tmp_path_factory):
    repo.write({".emb.yml": FULL})
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    from emb.config import load

    assert load(root=str(repo.root), cwd=elsewhere).root == repo.root
    assert load(root=str(repo.root / ".emb.yml"), cwd=Path("/")).name == "shop"
