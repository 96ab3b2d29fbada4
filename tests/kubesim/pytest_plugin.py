"""pytest fixtures for the Kubernetes API simulator (filled in by the kubesim work)."""
