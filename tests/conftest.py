"""Fixtures shared by every test; the simulator and Docker fixtures live in plugins."""

pytest_plugins = [
    "tests.kubesim.pytest_plugin",  # `kubesim` fixture: a Kubernetes API simulator for real kubectl
    "tests.integration.docker_plugin",  # `compose_project` fixtures: real Docker daemon + Compose v2
    "tests.standins",  # `secret_clis` fixture: recording stand-ins for the vault and op CLIs
]
