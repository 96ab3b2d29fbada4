"""The docker CLI, and nothing but the docker CLI: emb never talks to the Docker
API itself (SPEC §5, §6); it runs the user's `docker` / `docker compose`.

- engine.py   the docker CLI and the daemon: finding them, the daemon's errors
- compose.py  the Compose project: which binary, its services, lifecycle argv
"""
