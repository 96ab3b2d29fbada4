"""kubectl's stderr -> the SPEC §4 error kinds. The samples are what real
kubectl 1.32 printed against a test server (captured, not invented)."""

import pytest

from emb.kube.errors import error_for, exec_failure, parse_failure
from emb.kube.target import Target

SAMPLES = {
    "unauthorized": "error: You must be logged in to the server (Unauthorized)\n",
    "forbidden_list": 'Error from server (Forbidden): pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "staging"\n',
    "forbidden_exec": 'Error from server (Forbidden): pods "api-1" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "staging"\n',
    "deployment_missing": 'Error from server (NotFound): deployments.apps "api" not found\n',
    "namespace_missing": 'Error from server (NotFound): namespaces "nope" not found\n',
    "pod_missing": 'Error from server (NotFound): pods "api-1" not found\n',
    "context_missing": "Error in configuration: context was not found for specified context: nope\n",
    "unreachable": (
        'E1127 20:38:47.699397   11727 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list: '
        'Get \\"http://127.0.0.1:1/api?timeout=32s\\": dial tcp 127.0.0.1:1: connect: connection refused"\n'
        "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n"
    ),
    "unreachable_dns": "Unable to connect to the server: dial tcp: lookup cluster.invalid on 127.0.0.53:53: no such host\n",
}


@pytest.mark.parametrize(
    "sample, kind, resource, name",
    [
        ("unauthorized", "unauthorized", None, None),
        ("forbidden_list", "forbidden", "pods", None),
        ("forbidden_exec", "forbidden", "pods/exec", None),
        ("deployment_missing", "not_found", "deployments.apps", "api"),
        ("namespace_missing", "not_found", "namespaces", "nope"),
        ("pod_missing", "not_found", "pods", "api-1"),
        ("context_missing", "context", None, None),
        ("unreachable", "unreachable", None, None),
        ("unreachable_dns", "unreachable", None, None),
    ],
)
def test_parse_failure(sample, kind, resource, name):
    f = parse_failure(SAMPLES[sample].encode())
    assert (f.kind, f.resource, f.name) == (kind, resource, name)


def test_forbidden_names_the_verb_and_user_and_suggests_auth_can_i():
    t = Target("staging", "sim-readonly")
    err = error_for(t, parse_failure(SAMPLES["forbidden_exec"]), doing="starting task api:migrate")
    assert err.exit_code == 125
    assert "'bob' cannot create pods/exec in namespace staging" in err.message
    assert (
        "kubectl --context sim-readonly --namespace staging auth can-i create pods/exec"
        in err.hints[0]
    )


def test_forbidden_list_also_mentions_exec_permission():
    err = error_for(
        Target("staging"), parse_failure(SAMPLES["forbidden_list"]), doing="listing pods"
    )
    assert "cannot list pods" in err.message
    assert any("auth can-i list pods" in h for h in err.hints)
    assert any("auth can-i create pods/exec" in h for h in err.hints)


def test_deployment_not_found_lists_deployments():
    err = error_for(Target("staging"), parse_failure(SAMPLES["deployment_missing"]), doing="x")
    assert err.message == "deployment 'api' not found in namespace staging (context (none))"
    assert "kubectl --namespace staging get deployments" in err.hints[0]


def test_context_not_found_lists_contexts():
    err = error_for(
        Target("default", "nope", context_source="--context"),
        parse_failure(SAMPLES["context_missing"]),
        doing="x",
    )
    assert "'nope' not found" in err.message
    assert "kubectl config get-contexts -o name" in err.hints[0]


def test_unreachable_names_the_cluster_it_is_given():
    # error_for is pure: the (context, server) of the kubeconfig is passed in (kubectl.explain reads it).
    failure = parse_failure(SAMPLES["unreachable"])
    err = error_for(Target("ns"), failure, doing="x", cluster=("sim", "https://127.0.0.1:1"))
    assert err.message.startswith(
        "cluster unreachable (context sim, server https://127.0.0.1:1, namespace ns): "
    )
    err = error_for(Target("ns"), failure, doing="x", cluster=(None, None))
    assert err.message.startswith("kubectl has no cluster configured")


def test_unrecognised_failure_keeps_kubectl_words_and_the_command():
    err = error_for(
        Target("ns"),
        parse_failure(b"error: something odd happened\n"),
        doing="listing pods",
        command="kubectl --namespace ns get pods -l app=x",
    )
    assert err.message == "kubectl failed while listing pods (context (none), namespace ns): something odd happened"
    assert err.hints == ("run it yourself to see more: kubectl --namespace ns get pods -l app=x",)


@pytest.mark.parametrize(
    "tail, code, expected_kind",
    [
        # the remote command failed: kubectl says so last; its code is the task's
        (b"boom\ncommand terminated with exit code 3\n", 3, None),
        (
            b'Error from server (NotFound): pods "x" not found\ncommand terminated with exit code 1\n',
            1,
            None,
        ),
        (b"", 1, None),
        (b"some output of the task\n", 1, None),
        # kubectl failed before the command started
        (b'Error from server (NotFound): pods "api-1" not found\n', 1, "not_found"),
        (SAMPLES["forbidden_exec"].encode(), 1, "forbidden"),
        (SAMPLES["unauthorized"].encode(), 1, "unauthorized"),
        (b'error: unable to upgrade connection: container not found ("app")\n', 1, "not_running"),
        # an error-looking line from the task with another exit code is the task's
        (b"error: my script is unhappy\n", 7, None),
    ],
)
def test_exec_failure(tail, code, expected_kind):
    f = exec_failure(tail, code)
    assert (f.kind if f else None) == expected_kind
