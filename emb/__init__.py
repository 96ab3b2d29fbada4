"""emb: run a monorepo's tasks locally, in Docker Compose services, or in Kubernetes pods."""

__version__ = "0.1.0"
