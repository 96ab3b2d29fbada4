"""Pod choice (first Ready, oldest first, ties by name) and container choice (SPEC §4)."""

from datetime import datetime, timedelta, timezone

import pytest

from emb.errors import CannotStart
from emb.kube.pods import (
    DEFAULT_CONTAINER_ANNOTATION,
    human_age,
    is_ready,
    pick_container,
    pick_pod,
    pod_name,
    pod_status,
    ready_count,
    restart_count,
)


def pod(
    name,
    *,
    created="2024-05-01T10:00:00Z",
    ready=True,
    terminating=False,
    containers=("app",),
    annotations=None,
    phase="Running",
    statuses=None,
):
    meta = {"name": name, "creationTimestamp": created, "labels": {"app": "api"}}
    if terminating:
        meta["deletionTimestamp"] = "2024-05-01T12:00:00Z"
    if annotations:
        meta["annotations"] = annotations
    return {
        "metadata": meta,
        "spec": {"containers": [{"name": c} for c in containers]},
        "status": {
            "phase": phase,
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True" if ready else "False"},
            ],
            "containerStatuses": statuses
            if statuses is not None
            else [{"name": c, "ready": ready, "restartCount": 0} for c in containers],
        },
    }


def test_ready_needs_condition_true_and_not_terminating():
    assert is_ready(pod("a"))
    assert not is_ready(pod("a", ready=False))
    assert not is_ready(pod("a", terminating=True))
    assert not is_ready(
        {"metadata": {"name": "x"}, "status": {"phase": "Running"}}
    )  # no conditions yet


def test_pick_oldest_ready_pod():
    pods = [
        pod("api-c", created="2024-05-01T10:00:03Z"),
        pod("api-a", created="2024-05-01T10:00:02Z", ready=False),  # older but not ready
        pod("api-b", created="2024-05-01T10:00:01Z", terminating=True),  # oldest but terminating
        pod("api-d", created="2024-05-01T10:00:04Z"),
    ]
    assert pod_name(pick_pod(pods)) == "api-c"


def test_ties_by_name_and_timestamps_compared_as_times_not_strings():
    pods = [pod("api-z"), pod("api-m"), pod("api-q")]
    assert pod_name(pick_pod(pods)) == "api-m"
    # 09:59:59.5+00:00 written with an offset is still older than 10:00:00Z
    pods = [
        pod("api-a", created="2024-05-01T10:00:00Z"),
        pod("api-b", created="2024-05-01T11:59:59+02:00"),
    ]
    assert pod_name(pick_pod(pods)) == "api-b"


def test_pick_pod_none_ready_and_exclusion():
    assert pick_pod([pod("a", ready=False)]) is None
    assert pick_pod([]) is None
    pods = [
        pod("api-1", created="2024-05-01T10:00:00Z"),
        pod("api-2", created="2024-05-01T10:00:05Z"),
    ]
    assert pod_name(pick_pod(pods, exclude=["api-1"])) == "api-2"


def test_container_configured_must_exist():
    p = pod("api-1", containers=("app", "sidecar"))
    assert pick_container(p, "sidecar", "api") == "sidecar"
    with pytest.raises(CannotStart) as err:
        pick_container(p, "web", "api")
    assert "'web' not found in pod api-1" in err.value.message
    assert "app, sidecar" in err.value.message


def test_container_from_default_annotation_then_only_one():
    p = pod(
        "api-1",
        containers=("istio-proxy", "app"),
        annotations={DEFAULT_CONTAINER_ANNOTATION: "app"},
    )
    assert pick_container(p, None, "api") == "app"
    assert pick_container(pod("api-1", containers=("main",)), None, "api") == "main"
    # the configured container wins over the annotation
    assert pick_container(p, "istio-proxy", "api") == "istio-proxy"


def test_several_containers_without_choice_lists_them_and_shows_yaml():
    p = pod("api-1", containers=("app", "sidecar"))
    with pytest.raises(CannotStart) as err:
        pick_container(p, None, "api")
    assert err.value.exit_code == 125
    assert "app, sidecar" in err.value.message
    assert any("components: {api: {kubernetes: {container: app}}}" in h for h in err.value.hints)


def test_annotation_naming_a_missing_container_is_ignored():
    p = pod("api-1", containers=("a", "b"), annotations={DEFAULT_CONTAINER_ANNOTATION: "gone"})
    with pytest.raises(CannotStart):
        pick_container(p, None, "api")


def test_status_ready_restarts_columns():
    crashing = pod(
        "w",
        ready=False,
        statuses=[
            {
                "name": "app",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            },
        ],
    )
    assert pod_status(crashing) == "CrashLoopBackOff"
    assert restart_count(crashing) == 4
    assert ready_count(crashing) == "0/1"
    assert pod_status(pod("t", terminating=True)) == "Terminating"
    assert pod_status(pod("p", phase="Pending", statuses=[])) == "Pending"
    assert ready_count(pod("two", containers=("a", "b"))) == "2/2"


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (5, "5s"),
        (119, "119s"),
        (200, "3m20s"),
        (600, "10m"),
        (5 * 3600 + 12 * 60, "5h12m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (40 * 86400, "40d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_human_age(seconds, expected):
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert human_age(now - timedelta(seconds=seconds), now) == expected
