"""pytest fixtures for the real Docker daemon and Compose v2 (filled in by the compose work)."""
