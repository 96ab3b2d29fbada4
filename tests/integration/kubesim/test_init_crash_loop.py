"""kubesim: `kubesim.emb.dev/crash-loop: INIT-CONTAINER` keeps a pod in its init phase,
as real kubectl shows it (Init:CrashLoopBackOff, app containers PodInitializing)."""

import json


def test_a_crash_looping_init_container_shows_as_kubectl_prints_it(kubesim):
    kubesim.add_pod("default", "web", labels={"app": "web"}, containers=[{"name": "web"}],
                    annotations={"kubesim.emb.dev/crash-loop": "migrate"},
                    spec={"initContainers": [{"name": "migrate", "image": "busybox"}]})
    name, ready, status, *_ = kubesim.kubectl("get", "pods", "web", "--no-headers").stdout.split()
    assert (name, ready, status) == ("web", "0/1", "Init:CrashLoopBackOff")
    doc = json.loads(kubesim.kubectl("get", "pod", "web", "-o", "json").stdout)
    [init] = doc["status"]["initContainerStatuses"]
    assert init["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert init["lastState"]["terminated"]["exitCode"] == 1
    assert doc["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
