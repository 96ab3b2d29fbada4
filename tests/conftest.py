"""Fixtures shared by every test; the simulator and Docker fixtures live in plugins."""

pytest_plugins = [
    "tests.kubesim.pytest_plugin",  # `kubesim` fixture: a Kubernetes API simulator for real kubectl
    "tests.integration.docker_plugin",  # `compose_project` fixtures: real Docker daemon + Compose v2
    "tests.standins", "tests.integration.registry",  # `secret_clis` (vault/op stand-ins); `registry`
]
