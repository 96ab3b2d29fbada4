"""EMB 0.30 compatibility of the schemas (SPEC "Compatibility with EMB 0.30", §1, §6, §7).

Every `.emb.yml` and `Embfile.yml` that EMB 0.30 (enspirit/emb) accepts must be
valid for emb, and every key of EMB 0.30's schema must be accepted; unknown
keys stay errors with a suggestion. The monorepos under tests/fixtures/emb030/
are written in EMB 0.30's format (from its schema, not copied from it).
Facts about EMB 0.30 with their sources: /work/notes/emb030-facts.md.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from emb.config import validate as validation
from emb.config.loader import load_monorepo
from emb.config.yamlio import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "emb030"
EMBFILE_NAMES = ("Embfile.yml", "Embfile.yaml")


class Invalid(Exception):
    """What validation.validate raises through the error factory we give it."""

    def __init__(self, path, message, hints=(), key=False):
        super().__init__(message)
        self.path, self.message, self.hints, self.key = tuple(path), message, list(hints), key


def check(kind: str, data) -> None:
    """Validate like the loader does; also require both validators to agree that it is valid
    (the loader trusts fastjsonschema's "valid" and asks jsonschema only to describe errors)."""
    validation.validate(kind, data, Invalid)
    assert list(validation._validator(kind).iter_errors(data)) == []


def rejection(kind: str, data) -> Invalid:
    """The error for an invalid document; both validators must reject it."""
    with pytest.raises(Invalid) as info:
        validation.validate(kind, data, Invalid)
    assert list(validation._validator(kind).iter_errors(data)), "jsonschema accepts what fastjsonschema rejects"
    assert "invalid configuration (" not in info.value.message, "the two validators disagree"
    return info.value


def fixture_documents():
    """(id, kind, data) of every .emb.yml and Embfile under tests/fixtures/emb030/."""
    out = []
    for emb_yml in sorted(FIXTURES.glob("*/.emb.yml")):
        root = emb_yml.parent
        out.append((f"{root.name}/.emb.yml", "emb", emb_yml))
        for file in sorted(p for p in root.rglob("*") if p.name in EMBFILE_NAMES):
            out.append((f"{root.name}/{file.relative_to(root)}", "embfile", file))
    return out


def read(file: Path):
    data = parse(file, file.read_bytes())
    return {} if data is None else data  # EMB 0.30 reads an empty Embfile as {}


DOCUMENTS = fixture_documents()


def test_the_fixtures_are_there():
    names = {d[0].split("/")[0] for d in DOCUMENTS}
    assert {"shop", "minimal", "nested", "names", "expansion", "merge", "secrets"} <= names
    assert sum(1 for d in DOCUMENTS if d[1] == "embfile") >= 8


@pytest.mark.parametrize("kind,file", [d[1:] for d in DOCUMENTS], ids=[d[0] for d in DOCUMENTS])
def test_every_fixture_document_is_valid(kind, file):
    check(kind, read(file))


def test_every_flavored_fixture_document_is_valid():
    """What a flavor's patches produce is validated again by the loader; the patched
    .emb.yml of the fixtures stay valid (patches of components that plugins find are
    left out: they are not in the file itself)."""
    import jsonpatch

    def applies(patch, doc):
        parts = patch["path"].split("/")
        return parts[1] != "components" or parts[2] in (doc.get("components") or {})

    checked = 0
    for _, kind, file in DOCUMENTS:
        doc = read(file)
        if kind != "emb":
            continue
        for name, flavor in (doc.get("flavors") or {}).items():
            patches = [p for p in (flavor or {}).get("patches", []) if applies(p, doc)]
            if patches:
                check("emb", jsonpatch.apply_patch(copy.deepcopy(doc), patches))
                checked += 1
    assert checked >= 3


@pytest.mark.parametrize("entry", read(FIXTURES / "secrets" / "vault-auth-methods.yml"), ids=repr)
def test_every_vault_auth_method_and_the_op_plugin_are_accepted(entry):
    check("emb", {"project": {"name": "x"}, "plugins": [entry]})


# -- every key of EMB 0.30's schema (src/config/schema.json at enspirit/emb 51759e0) --------------

IMAGE = {"type": "docker/image"}
TASK = {"script": "true"}


def component(**keys):
    return {"project": {"name": "x"}, "components": {"api": keys}}


def resource(**keys):
    return component(resources={"r": keys})


def task(**keys):
    return {"project": {"name": "x"}, "tasks": {"t": {**TASK, **keys}}}


def plugin(name, config):
    return {"project": {"name": "x"}, "plugins": [{"name": name, "config": config}]}


def flavor(**keys):
    return {"project": {"name": "x"}, "flavors": {"f": keys}}


def trigger(value):
    return resource(**IMAGE, rebuildTrigger=value)


EMB030_KEYS = {
    "project.name/rootDir": {"project": {"name": "shop", "rootDir": "."}},
    "plugins.name/config": plugin("autodocker", {"glob": "*/Dockerfile", "ignore": "legacy/**"}),
    "autodocker.ignore list": plugin("autodocker", {"ignore": ["a/**", "b/**"]}),
    "embfiles.glob": plugin("embfiles", {"glob": "*/Embfile.{yaml,yml}"}),
    "embfiles.glob list": plugin("embfiles", {"glob": ["*/Embfile.yml", "x/*/Embfile.yml"]}),
    "dotenv files": plugin("dotenv", [".env", ".env.local"]),
    "vault config": plugin("vault", {"address": "http://127.0.0.1:8200", "namespace": "n",
                                     "auth": {"method": "approle", "roleId": "r", "secretId": "s"}}),
    "op config": plugin("op", {"account": "acme"}),
    "env strings": {"project": {"name": "x"}, "env": {"DOCKER_TAG": "${env:DOCKER_TAG:-latest}"}},
    "vars any value": {"project": {"name": "x"},
                       "vars": {"s": "a", "n": 1, "b": True, "map": {"k": [1, 2]}, "list": ["a"], "none": None,
                                "docker.registry": "ghcr.io", "release-channel": "stable"}},
    "defaults.docker": {"project": {"name": "x"}, "defaults": {"docker": {
        "tag": "latest", "target": "development", "platform": "linux/amd64", "buildArgs": {"A": "b"},
        "labels": {"team": "t"}, "publish": {"registry": "ghcr.io/acme", "tag": "v1"}}}},
    "defaults.kubernetes": {"project": {"name": "x"}, "defaults": {"kubernetes": {
        "namespace": "n", "context": "c", "selectorLabel": "app.kubernetes.io/component"}}},
    "defaults.build.concurrency n": {"project": {"name": "x"}, "defaults": {"build": {"concurrency": 4}}},
    "defaults.build.concurrency auto": {"project": {"name": "x"}, "defaults": {"build": {"concurrency": "auto"}}},
    "component keys": component(rootDir="services/api", description="API", tasks={"t": TASK},
                                resources={"image": IMAGE}, flavors={"f": {"patches": []}},
                                kubernetes={"selector": "app=api", "container": "app"}),
    "task keys": task(description="d", options={"anything": [1]}, pre=["u"], dependencies=["api:image"],
                      executors=["local", "container", "kubernetes"], interactive=True, vars={"K": "v"},
                      confirm={"message": "Sure?", "expect": "yes"}),
    "task pre only": {"project": {"name": "x"}, "tasks": {"t": {"pre": ["u"]}, "u": TASK}},
    "task executors empty": task(executors=[]),
    "task executors repeated": task(executors=["local", "local"]),
    "resource keys": resource(**IMAGE, params={}, publish=True, dependencies=["base:image"],
                              rebuildTrigger={"strategy": "auto"}),
    "docker/image params": resource(**IMAGE, params={
        "image": "api", "tag": "v1", "buildArgs": {"A": "b"}, "target": "production", "platform": "linux/arm64",
        "labels": {"l": "v"}, "context": "/", "dockerfile": "api/Dockerfile",
        "publish": {"registry": "ghcr.io/acme", "tag": "v1"}}),
    "file params": resource(type="file", params={"path": "out/a.txt", "script": "echo a > out/a.txt",
                                                  "content": "a"}),
    "file no params": resource(type="file"),
    "op/file params": resource(type="op/file", params={"reference": "op://vault/item/file", "path": "k.jks"}),
    "trigger always": trigger({"strategy": "always"}),
    "trigger watch-paths": trigger({"strategy": "watch-paths", "paths": ["Dockerfile", "/package.json"]}),
    "flavor patches": flavor(patches=[
        {"op": "add", "path": "/a", "value": 1}, {"op": "remove", "path": "/a"},
        {"op": "replace", "path": "/a", "value": None}, {"op": "move", "path": "/b", "from": "/a"},
        {"op": "copy", "path": "/b", "from": "/a"}]),
    "flavor rebuildPolicy": flavor(defaults={"rebuildPolicy": {"docker/image": {"strategy": "watch-paths",
                                                                                "paths": ["Dockerfile"]}}}),
    "empty flavor": flavor(),
    "resource names": component(resources={".env": {"type": "file"}, "fastlane/keystore.jks": {
        "type": "op/file", "params": {"reference": "op://v/i/f"}}}),
    "slash references": resource(type="file", dependencies=["api:certs/dev.pem", "certs/dev.pem"]),
}


@pytest.mark.parametrize("doc", EMB030_KEYS.values(), ids=EMB030_KEYS)
def test_each_emb030_key_is_accepted(doc):
    check("emb", doc)


@pytest.mark.parametrize("key,value", [
    ("rootDir", "api"),  # EMB 0.30 accepts it in an Embfile (and uses the Embfile's folder anyway)
    ("description", "REST API"),
    ("kubernetes", {"selector": "app=api", "container": "app"}),
    ("resources", {"image": {"type": "docker/image", "publish": True, "dependencies": ["base:image"],
                             "rebuildTrigger": {"strategy": "always"}}}),
    ("tasks", {"t": {"script": "x", "dependencies": ["image"], "options": {}}}),
    ("flavors", {"production": {"patches": [{"op": "replace", "path": "/resources/image/params/target",
                                             "value": "production"}]}}),
])
def test_each_emb030_embfile_key_is_accepted(key, value):
    check("embfile", {key: value})


def test_emb_additions_stay_accepted():
    check("emb", {
        "project": {"name": "x"},
        "plugins": ["autodocker", "embfiles", "dotenv", "vault", "op"],
        "kubernetes": {"namespace": "n", "context": "c", "selectorLabel": "app"},
        "components": {
            "api": {"kubernetes": {"deployment": "api-server", "selector": "a=b", "container": "c"}},
            "db": {"kubernetes": {"statefulset": "postgres"}},
            "agent": {"kubernetes": {"daemonset": "node-agent"}},
            "web": None,
        },
        "tasks": {"t": {"script": "x", "executor": "local", "workdir": "/app", "vars": {"PORT": 80}}},
        "flavors": {"s": {"description": "staging", "patch": [{"op": "test", "path": "/a", "value": 1}]}},
    })


# -- typos and wrong values are still errors ----------------------------------------------------

@pytest.mark.parametrize("doc,bad,close", [
    (resource(**IMAGE, rebuildtrigger={"strategy": "auto"}), "rebuildtrigger", "rebuildTrigger"),
    (resource(**IMAGE, dependency=["a"]), "dependency", "dependencies"),
    (resource(**IMAGE, params={"buildargs": {}}), "buildargs", "buildArgs"),
    (resource(**IMAGE, params={"dockerFile": "D"}), "dockerFile", "dockerfile"),
    (resource(type="file", params={"contents": "x"}), "contents", "content"),
    (resource(type="op/file", params={"reference": "op://a/b/c", "paht": "x"}), "paht", "path"),
    (resource(**IMAGE, params={"publish": {"registery": "r"}}), "registery", "registry"),
    (task(dependences=["a"]), "dependences", "dependencies"),
    (task(option={}), "option", "options"),
    (task(confirm={"message": "m", "expected": "y"}), "expected", "expect"),
    (component(resource={}), "resource", "resources"),
    ({"project": {"name": "x"}, "default": {}}, "default", "defaults"),
    ({"project": {"name": "x"}, "defaults": {"dokcer": {}}}, "dokcer", "docker"),
    ({"project": {"name": "x"}, "defaults": {"docker": {"buildargs": {}}}}, "buildargs", "buildArgs"),
    ({"project": {"name": "x"}, "defaults": {"docker": {"platfrom": "p"}}}, "platfrom", "platform"),
    ({"project": {"name": "x"}, "defaults": {"build": {"concurency": 2}}}, "concurency", "concurrency"),
    (flavor(default={}), "default", "defaults"),
    (flavor(defaults={"rebuildpolicy": {}}), "rebuildpolicy", "rebuildPolicy"),
    (plugin("vault", {"adress": "http://127.0.0.1"}), "adress", "address"),
    (plugin("op", {"acount": "a"}), "acount", "account"),
    (plugin("autodocker", {"ignores": []}), "ignores", "ignore"),
])
def test_typos_are_rejected_with_a_suggestion(doc, bad, close):
    err = rejection("emb", doc)
    assert err.message == f"unknown key '{bad}' (did you mean '{close}'?)"
    assert err.path[-1] == bad and err.key


def test_embfile_typos_are_rejected_with_a_suggestion():
    err = rejection("embfile", {"resource": {"image": IMAGE}})
    assert err.message == "unknown key 'resource' (did you mean 'resources'?)"


def test_component_flavors_take_patches_only():
    """EMB 0.30's component flavors have no `defaults` (rebuild policies are project-wide)."""
    err = rejection("emb", component(flavors={"dev": {"defaults": {}}}))
    assert err.message.startswith("unknown key 'defaults'") and err.path[-1] == "defaults"


@pytest.mark.parametrize("doc,path,needle", [
    (resource(type="docker-image"), ("type",), "'docker-image' is not allowed here"),
    (resource(params={}), (), "missing required key 'type'"),
    (resource(**IMAGE, publish="yes"), ("publish",), "expected true or false"),
    (resource(**IMAGE, dependencies=["a", "a"]), ("dependencies",), "lists the same value twice"),
    (resource(**IMAGE, params=[]), ("params",), "expected a mapping"),
    (resource(type="op/file", params={"path": "x"}), ("params",), "missing required key 'reference'"),
    (resource(type="op/file", params={"reference": "vault/item"}), ("params", "reference"), "(must match ^op://)"),
    (trigger({"strategy": "watch-paths"}), ("rebuildTrigger",), "missing required key 'paths'"),
    (trigger({"strategy": "watch-paths", "paths": []}), ("rebuildTrigger", "paths"), "must not be empty"),
    (trigger({"strategy": "auto", "paths": ["x"]}), ("rebuildTrigger",), "'paths' is not allowed here"),
    (trigger({"strategy": "sometimes"}), ("rebuildTrigger", "strategy"), "'sometimes' is not allowed here"),
    (trigger({"paths": ["x"]}), ("rebuildTrigger",), "missing required key 'strategy'"),
])
def test_wrong_resource_values_are_rejected(doc, path, needle):
    err = rejection("emb", doc)
    assert err.path == ("components", "api", "resources", "r", *path)
    assert needle in err.message


@pytest.mark.parametrize("doc,needle", [
    ({"project": {"name": "x"}, "defaults": {"build": {"concurrency": 0}}}, "less than the minimum of 1"),
    ({"project": {"name": "x"}, "defaults": {"build": {"concurrency": "many"}}}, "'many'"),
    (plugin("vault", {"auth": {"method": "token"}}), "missing required key 'token'"),
    (plugin("vault", {"auth": {"method": "approle", "roleId": "r"}}), "missing required key 'secretId'"),
    (plugin("vault", {"auth": {"method": "kubernetes", "role": "r", "jwt": "j"}}), "'jwt' is not allowed here"),
    (plugin("vault", {"auth": {"method": "ldap"}}), "'ldap' is not allowed here"),
    (plugin("vault", {"auth": {"token": "t"}}), "missing required key 'method'"),
    (plugin("vault", {"auth": {"method": "oidc", "port": "8250"}}), "expected an integer"),
    (plugin("dotenv", {"file": ".env"}), "/plugins/0/config"),
    ({"project": {"name": "x"}, "plugins": [{"name": "vaults"}]}, "'vaults' is not a plugin"),
    (flavor(defaults={"rebuildPolicy": {"file": {"strategy": "auto"}}}), "unknown key 'file'"),
    (task(options=[]), "expected a mapping"),
])
def test_wrong_values_are_rejected(doc, needle):
    err = rejection("emb", doc)
    shown = err.message + " at /" + "/".join(map(str, err.path))
    assert needle in shown


def test_names_are_anything_with_a_visible_character_as_in_emb_030():
    check("emb", {"project": {"name": "x"},
                  "components": {"web-app.v2": None, "a:b": None, "_x": None},
                  "tasks": {"db:migrate": TASK, "docs/build": TASK, "-x": TASK, "1": TASK},
                  "flavors": {"prod/eu": {}}})
    assert rejection("emb", {"project": {"name": "x"}, "tasks": {" ": TASK}}).path == ("tasks",)


def test_env_and_task_var_names_only_exclude_equals():
    check("emb", {"project": {"name": "x"}, "env": {"MY-VAR": "a", "lower.case": "b"}, **task(vars={"K-1": "v"})})
    assert "'A=B'" in rejection("emb", {"project": {"name": "x"}, "env": {"A=B": "x"}}).message


# -- the loader (emb.config.load) on the fixtures -------------------------------------------------
#
# Fixtures the loader does not load yet (see the emb030 report, and
# docs/coming-from-emb-0.30.md "Not yet in emb"):
#   minimal --flavor arm  autodocker does not declare the component's `image` resource,
#                         so a patch of /components/hello/resources/image fails
#   names                 an empty Embfile is an error (EMB 0.30 reads it as {})
#   expansion             `${vars:docker.registry}` / `${vars:release-channel}` are
#                         malformed for emb; confirm/task vars are expanded at load
#   merge                 a task in both .emb.yml and the Embfile is a duplicate task id
#                         (EMB 0.30 deep-merges them)
#   secrets               the vault and op plugins are not implemented by the loader

def load(tmp_path, name, flavor=None, **environ):
    root = tmp_path / name
    if not root.exists():
        shutil.copytree(FIXTURES / name, root)  # the loader writes .emb/cache next to .emb.yml
    return load_monorepo(root=root, flavor=flavor, cwd=root, environ=dict(environ))


@pytest.mark.parametrize("flavor", [None, "staging", "production", "dev", "empty"])
def test_shop_loads_with_every_flavor(tmp_path, flavor):
    mono = load(tmp_path, "shop", flavor)
    assert sorted(mono.components) == ["api", "base", "config", "web", "worker"]
    assert mono.components["config"].root_dir == tmp_path / "shop" / "config"
    assert mono.tasks["api:test"].pre == ("lint",) and mono.tasks["api:test"].executors == ("local", "container")
    assert mono.tasks["ci"].script is None and mono.tasks["ci"].pre == ("build", "api:test", "web:test")
    assert mono.tasks["release"].confirm.expect == "release"
    assert mono.tasks["api:console"].interactive
    assert mono.flavor == flavor


def test_shop_dotenv_and_env_block(tmp_path):
    mono = load(tmp_path, "shop", DOCKER_TAG="v9")
    assert mono.resolved["env"]["DOCKER_TAG"] == "v9"  # the environment wins over .env
    assert mono.resolved["env"]["SHOP_REGION"] == "us"  # among the files, the later one wins (EMB 0.30: the first)


def test_nested_loads(tmp_path):
    mono = load(tmp_path, "nested")
    root = tmp_path / "nested" / "monorepo"
    assert mono.root == root
    assert {n: c.root_dir for n, c in mono.components.items()} == {
        "billing": root / "services" / "billing", "search": root / "services" / "search",
        "lint": root / "tools" / "lint"}
    assert set(mono.tasks) == {"lint:all", "billing:test", "check"}


def test_minimal_loads_without_a_flavor(tmp_path):
    mono = load(tmp_path, "minimal")
    assert list(mono.components) == ["hello"] and not mono.tasks
