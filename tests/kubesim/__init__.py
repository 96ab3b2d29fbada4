"""A Kubernetes API simulator that the real kubectl talks to (test infrastructure only)."""
