"""Generate synthetic monorepos for benchmarks: N components, each with a
Dockerfile and an Embfile.yml of T tasks, found by the autodocker and embfiles
plugins, plus a realistic .emb.yml (env, vars, kubernetes, a flavor).

    from scripts.benchlib.monorepo import generate
    generate(Path("/tmp/mono20"), components=20)          # `emb tasks` start-up bench
    generate(Path("/tmp/mono1000"), components=1000)      # config-load bench

or: python scripts/benchlib/monorepo.py DIR COMPONENTS [TASKS_PER_COMPONENT]
"""

from __future__ import annotations

import sys
from pathlib import Path

EMB_YML = """\
project:
  name: bench
plugins:
  - name: autodocker
  - name: embfiles
env:
  DOCKER_TAG: ${env:DOCKER_TAG:-latest}
vars:
  registry: ghcr.io/acme
  appEnv: development
kubernetes:
  namespace: ${env:K8S_NAMESPACE:-default}
tasks:
  check:
    description: Every component's test task
    pre: [%(pre)s]
    script: echo all checks passed
flavors:
  staging:
    patches:
      - {op: add, path: /kubernetes/context, value: staging-cluster}
      - {op: replace, path: /vars/appEnv, value: staging}
"""

TASK = """\
  %(task)s:
    description: %(task)s for %(name)s (${vars:appEnv})
    executors: [container, kubernetes, local]
    vars:
      APP_ENV: ${vars:appEnv}
      IMAGE: ${vars:registry}/%(name)s:${env:DOCKER_TAG:-latest}
    script: |
      echo "%(task)s $APP_ENV in ${HOME:-/}"
      test -n "$IMAGE"
"""

TASK_NAMES = ("test", "lint", "build", "migrate", "console", "seed", "deploy", "logs")


def generate(root: Path, components: int, tasks_per_component: int = 5) -> Path:
    """Write the monorepo under root (created if needed) and return root."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    names = [f"svc{i:04d}" for i in range(components)]
    tasks = [TASK_NAMES[i % len(TASK_NAMES)] + ("" if i < len(TASK_NAMES) else str(i))
             for i in range(tasks_per_component)]
    for name in names:
        folder = root / name
        folder.mkdir(exist_ok=True)
        (folder / "Dockerfile").write_text("FROM scratch\n")
        body = f"description: component {name}\nkubernetes:\n  container: app\ntasks:\n"
        body += "".join(TASK % {"task": t, "name": name} for t in tasks)
        (folder / "Embfile.yml").write_text(body)
    pre = ", ".join(f"{n}:{tasks[0]}" for n in names[:20])
    (root / ".emb.yml").write_text(EMB_YML % {"pre": pre})
    return root


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    generate(Path(sys.argv[1]), int(sys.argv[2]), *(int(a) for a in sys.argv[3:]))
