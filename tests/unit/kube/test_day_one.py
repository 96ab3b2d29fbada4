"""What kubectl users hit on day one (issue 16), pure parts: new error kinds in
kubectl's real wording, the newest ReplicaSet revision first, init states as
kubectl shows them, names that could become kubectl flags."""

import pytest

from emb.errors import EXIT_CANNOT_START, EXIT_LOST, EXIT_USAGE, UsageError
from emb.kube.errors import error_for, exec_failure, parse_failure
from emb.kube.names import check_context, check_name
from emb.kube.pods import ordered_ready, pod_status, rollout_warning
from emb.kube.target import Target, duration_seconds, is_duration

T = Target("shop", context_name="prod", server="https://eks.example:443", exec_plugin="aws")

STDERR = {
    "no_shell": 'error: Internal error occurred: error executing command in container: failed to exec in container: '
                'failed to start exec "ab12": OCI runtime exec failed: exec failed: unable to start container process: '
                'exec: "sh": executable file not found in $PATH: unknown\n',
    "windows": 'error: Internal error occurred: error executing command in container: failed to exec in container: '
               'failed to start exec "ab12": hcs::System::CreateProcess 0123: The system cannot find the file specified.: unknown\n',
    "kubelet": "Error from server: error dialing backend: dial tcp 10.0.0.11:10250: i/o timeout\n",
    "not_running": 'error: unable to upgrade connection: container not found ("api")\n',
    "credentials": "Token has expired and refresh failed\n"
                   "Unable to connect to the server: getting credentials: exec: executable aws failed with exit code 255\n",
    "lost": "error: websocket: close 1006 (abnormal closure): unexpected EOF\n",
}


@pytest.mark.parametrize("kind", sorted(STDERR))
def test_each_failure_has_its_own_kind_and_one_line(kind):
    failure = exec_failure(STDERR[kind], 1)
    assert failure is not None and failure.kind == kind
    err = error_for(T, failure, doing="running task api:x in pod api-1", pod="api-1")
    assert "\n" not in err.message
    assert "namespace shop" in err.message and "prod" in err.message
    assert err.exit_code == (EXIT_LOST if kind == "lost" else EXIT_CANNOT_START)


def test_diagnoses_are_the_right_ones():
    def message(kind):
        return error_for(T, parse_failure(STDERR[kind]), doing="x", pod="api-1")

    assert "has no sh" in message("no_shell").message
    assert any("kubectl debug" in h for h in message("no_shell").hints)
    assert "Windows" in message("windows").message
    assert "kubelet" in message("kubelet").message and "VPN" not in " ".join(message("kubelet").hints)
    assert message("not_running").message.startswith("container 'api' of pod api-1 is not running")
    creds = message("credentials")
    assert creds.message.startswith("credential plugin aws failed")
    assert creds.message.endswith("Token has expired and refresh failed")
    assert "aws said: Token has expired and refresh failed" in creds.hints


def rs(name, revision):
    return {"kind": "ReplicaSet", "metadata": {"name": name,
            "annotations": {"deployment.kubernetes.io/revision": str(revision)}}}


def pod(name, owner, created, ready=True):
    return {"metadata": {"name": name, "creationTimestamp": created,
                         "ownerReferences": [{"kind": "ReplicaSet", "name": owner}]},
            "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": str(ready)}]}}


def test_newest_revision_first_then_oldest():
    old = pod("api-old", "api-1", "2024-01-01T00:00:00Z")
    new_b = pod("api-new-b", "api-2", "2024-02-01T00:00:01Z")
    new_a = pod("api-new-a", "api-2", "2024-02-01T00:00:01Z")
    sets = [rs("api-1", 1), rs("api-2", 2)]
    assert [p["metadata"]["name"] for p in ordered_ready([old, new_b, new_a], sets)] == \
        ["api-new-a", "api-new-b", "api-old"]
    assert "newest revision, 2" in rollout_warning([old, new_a], sets, new_a)
    assert rollout_warning([new_a, new_b], sets, new_a) is None
    # the new pods are not Ready yet: the old one runs it, and the warning says so
    waiting = pod("api-new-c", "api-2", "2024-02-01T00:00:02Z", ready=False)
    chosen = ordered_ready([old, waiting], sets)[0]
    assert chosen is old
    assert "previous image" in rollout_warning([old, waiting], sets, chosen)


def test_init_states_as_kubectl_shows_them():
    p = {"metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "migrate"}], "containers": [{"name": "a"}]},
         "status": {"phase": "Pending",
                    "initContainerStatuses": [{"name": "migrate", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
                    "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}]}}
    assert pod_status(p) == "Init:CrashLoopBackOff"
    p["status"]["initContainerStatuses"][0]["state"] = {"running": {}}
    assert pod_status(p) == "Init:0/1"


@pytest.mark.parametrize("kind, value", [("deployment", "--kubeconfig=evil.yaml"), ("namespace", "-n"),
                                         ("pod", "--help"), ("namespace", "Shop"), ("container", "a.b"),
                                         ("namespace", "x" * 64)])
def test_names_that_could_be_flags_are_usage_errors(kind, value):
    with pytest.raises(UsageError) as err:
        check_name(kind, value, "somewhere")
    assert err.value.exit_code == EXIT_USAGE and "somewhere" in err.value.message


def test_valid_names_pass():
    assert check_name("pod", "api-7f9c.x", "--pod") == "api-7f9c.x"
    assert check_context("arn:aws:eks:eu-west-1:1:cluster/prod", "--context")
    with pytest.raises(UsageError):
        check_context("--kubeconfig=evil", "--context")


@pytest.mark.parametrize("text, seconds", [("5m", 300), ("1h30m", 5400), ("300s", 300), ("1.5s", 1.5)])
def test_go_durations(text, seconds):
    assert is_duration(text) and duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["5min", "5 m", "", "m", "-1s"])
def test_not_durations(text):
    assert not is_duration(text)
