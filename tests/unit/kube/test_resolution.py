"""Namespace and context precedence (SPEC §4) as table tests of the pure functions:
the config layer's merge of `kubernetes:` over `defaults.kubernetes:`, then
emb.kube.target's resolution (flag > environment > config > default)."""

import pytest

from emb.config.build import kubernetes_settings
from emb.errors import UsageError
from emb.kube.target import Target, kubectl_command, resolve_context, resolve_namespace, target_for
from emb.model import KubernetesSettings
from tests.builders import monorepo


def settings(key: str, top: str | None, defaults: str | None) -> KubernetesSettings:
    """The project's kubernetes settings as the config layer merges them."""
    doc: dict = {"kubernetes": {}, "defaults": {"kubernetes": {}}}
    if top is not None:
        doc["kubernetes"][key] = top
    if defaults is not None:
        doc["defaults"]["kubernetes"][key] = defaults
    return kubernetes_settings(doc)


@pytest.mark.parametrize(
    "cli, env, config, defaults, expected, source",
    [
        ("cli-ns", "env-ns", "cfg-ns", "dflt-ns", "cli-ns", "--namespace"),
        (None, "env-ns", "cfg-ns", "dflt-ns", "env-ns", "K8S_NAMESPACE"),
        (None, None, "cfg-ns", "dflt-ns", "cfg-ns", "kubernetes.namespace"),
        (None, None, None, "dflt-ns", "dflt-ns", "defaults.kubernetes.namespace"),
        (None, None, None, None, "default", "kubectl's default"),
        # empty values count as unset (K8S_NAMESPACE= emb ..., `${env:X:-}` in config)
        (None, "", "cfg-ns", None, "cfg-ns", "kubernetes.namespace"),
        (None, "", "", "dflt-ns", "dflt-ns", "defaults.kubernetes.namespace"),
        (None, "", "", "", "default", "kubectl's default"),
        # the flag wins even over an env var that the config also reads
        ("cli-ns", "env-ns", "env-ns", None, "cli-ns", "--namespace"),
    ],
)
def test_namespace_precedence(cli, env, config, defaults, expected, source):
    environ = {} if env is None else {"K8S_NAMESPACE": env}
    repo = monorepo(kubernetes=settings("namespace", config, defaults))
    got = target_for(repo, namespace=cli, environ=environ)
    assert (got.namespace, got.namespace_source) == (expected, source)


def test_namespace_flag_cannot_be_empty():
    with pytest.raises(UsageError):
        resolve_namespace("  ", {}, "cfg")


def test_the_config_value_keeps_the_source_it_is_given():
    got = resolve_namespace(None, {}, "dflt-ns", "defaults.kubernetes.namespace")
    assert (got.value, got.source) == ("dflt-ns", "defaults.kubernetes.namespace")
    got = resolve_context(None, "c3", "defaults.kubernetes.context")
    assert (got.value, got.source) == ("c3", "defaults.kubernetes.context")


@pytest.mark.parametrize(
    "cli, config, defaults, expected, source",
    [
        ("c1", "c2", "c3", "c1", "--context"),
        (None, "c2", "c3", "c2", "kubernetes.context"),
        (None, None, "c3", "c3", "defaults.kubernetes.context"),
        (None, None, None, None, "kubectl's current context"),
        (None, "", None, None, "kubectl's current context"),
    ],
)
def test_context_precedence(cli, config, defaults, expected, source):
    repo = monorepo(kubernetes=settings("context", config, defaults))
    got = target_for(repo, context=cli, environ={})
    assert (got.context, got.context_source) == (expected, source)


def test_base_args_put_context_before_namespace():
    assert Target("staging", "sim").base() == [
        "kubectl",
        "--context",
        "sim",
        "--namespace",
        "staging",
    ]
    assert Target("default").base() == ["kubectl", "--namespace", "default"]


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ("kubectl",)),
        ("", ("kubectl",)),
        ("/opt/k8s/kubectl", ("/opt/k8s/kubectl",)),
        ("minikube kubectl --", ("minikube", "kubectl", "--")),
        ("'/path with space/kubectl'", ("/path with space/kubectl",)),
    ],
)
def test_kubectl_override(value, expected):
    environ = {} if value is None else {"EMB_KUBECTL": value}
    assert kubectl_command(environ) == expected
    assert Target("ns", kubectl=kubectl_command(environ)).base()[: len(expected)] == list(expected)
