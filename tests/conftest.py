"""Fixtures shared by every test; the simulator and Docker fixtures live in plugins."""

pytest_plugins = [
    "tests.kubesim.pytest_plugin",  # `kubesim` fixture: a Kubernetes API simulator for real kubectl
    "tests.integration.docker_plugin",  # `compose_project` fixtures: real Docker daemon + Compose v2
    "tests.standins", "tests.integration.registry",  # `secret_clis` (vault/op stand-ins); `registry`
]


import os as _os
import signal as _signal
import tempfile as _tempfile

# The suite sends real signals (Ctrl+C is SIGINT) to emb and to the tasks it
# starts. A run launched from a background job (`scripts/test &`, some CI
# runners) inherits SIGINT and SIGQUIT *ignored*, and exec passes that on: a
# `trap ... INT` could then never fire and emb could never see a Ctrl+C. Give
# the processes the tests start the default dispositions a terminal would.
_signal.signal(_signal.SIGINT, _signal.default_int_handler)
_signal.signal(_signal.SIGQUIT, _signal.SIG_DFL)

# emb keeps a per-user secret (the key that authenticates its caches) under
# $XDG_STATE_HOME/emb/: tests, and every emb they start, use a private one.
_STATE_HOME = _tempfile.mkdtemp(prefix="emb-test-state-")
_os.environ["XDG_STATE_HOME"] = _STATE_HOME
