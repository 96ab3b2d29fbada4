import pytest

from emb import launch


@pytest.fixture(autouse=True)
def no_kubeconfig(monkeypatch, tmp_path):
    """The developer's own ~/.kube/config never leaks into a unit test."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    launch.reset()
    yield
    launch.reset()
