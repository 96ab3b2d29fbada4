"""Fixtures shared by every test; the simulator and Docker fixtures live in plugins."""

pytest_plugins = [
    "tests.kubesim.pytest_plugin",  # `kubesim` fixture: a Kubernetes API simulator for real kubectl
    "tests.integration.docker_plugin",  # `compose_project` fixtures: real Docker daemon + Compose v2
    "tests.standins", "tests.integration.registry",  # `secret_clis` (vault/op stand-ins); `registry`
]


import os as _os
import tempfile as _tempfile

# emb keeps a per-user secret (the key that authenticates its caches) under
# $XDG_STATE_HOME/emb/: tests, and every emb they start, use a private one.
_STATE_HOME = _tempfile.mkdtemp(prefix="emb-test-state-")
_os.environ["XDG_STATE_HOME"] = _STATE_HOME
