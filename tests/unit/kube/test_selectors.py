"""Label selectors: parsing, matching (Kubernetes semantics), Deployment spec.selector -> -l."""

import pytest

from emb.errors import UsageError
from emb.kube.selectors import deployment_selector, parse_selector, selector_matches

LABELS = {"app": "api", "tier": "backend", "track": "stable"}


@pytest.mark.parametrize(
    "selector, labels, expected",
    [
        ("app=api", LABELS, True),
        ("app==api", LABELS, True),
        ("app=web", LABELS, False),
        ("app=api,tier=backend", LABELS, True),
        ("app=api,tier=frontend", LABELS, False),
        ("app!=web", LABELS, True),
        ("app!=api", LABELS, False),
        ("missing!=x", LABELS, True),  # != matches objects without the label
        ("tier in (backend, db)", LABELS, True),
        ("tier in (db)", LABELS, False),
        ("tier notin (db,cache)", LABELS, True),
        ("tier notin (backend)", LABELS, False),
        ("track", LABELS, True),
        ("!track", LABELS, False),
        ("!canary", LABELS, True),
        ("app in (api,web),!canary,tier", LABELS, True),
        ("app=api", {}, False),
        ("app=api", None, False),
    ],
)
def test_selector_matches(selector, labels, expected):
    assert selector_matches(selector, labels) is expected


def test_empty_selector_matches_nothing():
    # An empty selector must never make every pod look like a component's.
    assert selector_matches("", LABELS) is False


@pytest.mark.parametrize("bad", ["app=api=x", "tier in backend", "a b", "(x)"])
def test_malformed_selector_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        parse_selector(bad)


def test_deployment_selector_from_match_labels_and_expressions():
    dep = {
        "spec": {
            "selector": {
                "matchLabels": {"app": "api", "tier": "backend"},
                "matchExpressions": [
                    {"key": "env", "operator": "In", "values": ["staging", "prod"]},
                    {"key": "track", "operator": "NotIn", "values": ["canary"]},
                    {"key": "managed", "operator": "Exists"},
                    {"key": "legacy", "operator": "DoesNotExist"},
                ],
            }
        }
    }
    sel = deployment_selector(dep)
    assert sel == "app=api,tier=backend,env in (staging,prod),track notin (canary),managed,!legacy"
    # what we send to kubectl must also parse and match like the API server would
    assert selector_matches(sel, {"app": "api", "tier": "backend", "env": "prod", "managed": "y"})
    assert not selector_matches(
        sel, {"app": "api", "tier": "backend", "env": "prod", "managed": "y", "legacy": "1"}
    )
    assert not selector_matches(
        sel, {"app": "api", "tier": "backend", "env": "dev", "managed": "y"}
    )


def test_deployment_without_selector_gives_empty_string():
    assert deployment_selector({"spec": {}}) == ""
