"""`emb resources publish` and `emb images push`: tag the built images for a registry, push them.

SPEC §6 (Publishing): the `publish: true` resources (or those among the named
resources and their dependencies), in dependency order; nothing is built. The
registry and tag come from `params.publish` > `defaults.docker.publish`; when
either is set, the image is first tagged `<registry>/<project>/<image>:<tag>`;
then `docker push`. Credentials are docker's own; with DOCKER_USERNAME and
DOCKER_PASSWORD set, emb logs in for the push with a private docker config
(a temporary folder, removed afterwards): the password goes to `docker login`
on stdin only, and is registered with emb.redact so no line of emb shows it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple, Sequence

from emb import redact, resources
from emb.docker import images
from emb.resources import params as settings
from emb.errors import EXIT_INTERRUPTED, EmbError, UsageError
from emb.model import Monorepo, Resource
from emb.output import note

PUBLISHABLE_TYPES = ("docker/image",)
PUSH_TIMEOUT = 3600.0  # seconds: a push of big layers over a slow link may take long


class Step(NamedTuple):
    """One image to publish: the built reference, what is pushed, and the calls that do it."""

    resource: Resource
    source: str  # the reference emb built
    target: str  # the reference pushed (source when no registry or tag is configured)

    @property
    def retag(self) -> bool:
        return self.target != self.source

    def argvs(self) -> list[list[str]]:
        calls = [images.tag_argv(self.source, self.target)] if self.retag else []
        return [*calls, images.push_argv(self.target)]


# --- which resources ----------------------------------------------------------------------

def select(monorepo: Monorepo, names: Sequence[str] = ()) -> list[Resource]:
    """What to publish: the publishable resources among `names` and their dependencies
    (default: all of them), in dependency order. A publishable resource that is not
    an image is an error (EMB 0.30: PUBLISH_NOT_SUPPORTED)."""
    if names:
        requested = [resources.resolve(monorepo, n, owner="emb resources publish", error=UsageError)
                     for n in names]
    else:
        requested = [r.id for r in monorepo.resources.values() if r.publish]
    order, _ = resources.build_order(monorepo, requested)
    chosen = [monorepo.resources[i] for i in order if monorepo.resources[i].publish]
    for res in chosen:
        if res.type not in PUBLISHABLE_TYPES:
            raise UsageError(f"resource {res.id} has publish: true, but a {res.type} resource cannot be published",
                             ["only docker/image resources are published: remove `publish: true` from it"])
    return chosen


def publish_settings(monorepo: Monorepo, resource: Resource) -> tuple[str | None, str | None]:
    """(registry, tag) for publishing: `params.publish` > `defaults.docker.publish`; "" counts as unset."""
    own = settings.params(monorepo, resource).get("publish") or {}
    default = settings.docker_defaults(monorepo).get("publish") or {}
    registry = own.get("registry") or default.get("registry") or None
    tag = own.get("tag") or default.get("tag") or None
    return (settings.text(registry).rstrip("/") if registry else None, settings.text(tag) if tag else None)


def plan(monorepo: Monorepo, names: Sequence[str] = ()) -> list[Step]:
    steps = []
    for res in select(monorepo, names):
        source = resources.reference(monorepo, res)
        registry, tag = publish_settings(monorepo, res)
        steps.append(Step(res, source, images.retarget(source, registry, tag)))
    return steps


def push_plan(monorepo: Monorepo, registry: str | None, retag: str | None) -> list[Step]:
    """`emb images push` (EMB 0.30, deprecated): every image resource, to `--registry` with `--retag`."""
    steps = []
    for res in monorepo.resources.values():
        if res.type == "docker/image":
            source = resources.reference(monorepo, res)
            steps.append(Step(res, source, images.retarget(source, registry.rstrip("/") if registry else None,
                                                           retag)))
    return steps


# --- credentials --------------------------------------------------------------------------

def credentials() -> tuple[str, str] | None:
    """(DOCKER_USERNAME, DOCKER_PASSWORD) when both are set; the password is registered as a secret."""
    user, password = os.environ.get("DOCKER_USERNAME"), os.environ.get("DOCKER_PASSWORD")
    if password:
        redact.register(password)
    if user and password:
        return user, password
    return None


def login_server(host: str) -> str:
    return "https://index.docker.io/v1/" if host == images.DOCKER_HUB else host


# --- running --------------------------------------------------------------------------

def describe(steps: Sequence[Step], creds: tuple[str, str] | None) -> list[str]:
    """The command lines a publish runs, shell-quoted, as `--dry-run` prints them."""
    lines = []
    if creds:
        for host in sorted({images.registry_host(s.target) for s in steps}):
            lines.append(f"{shlex.join(images.login_argv(login_server(host), creds[0]))} < (DOCKER_PASSWORD)")
    for step in steps:
        lines.extend(shlex.join(argv) for argv in step.argvs())
    return lines


def result(step: Step, *, dry_run: bool, pushed: bool = False) -> dict:
    """One entry of `--json`: EMB 0.30's {resource, reference, skipped?, skipReason?}, plus source."""
    res = step.resource
    item = {
        "resource": {"id": res.id, "name": res.name, "component": res.component, "type": res.type,
                     "publish": res.publish},
        "reference": step.target,
        "source": step.source,
    }
    if dry_run:
        item.update(skipped=True, skipReason="dry run")
    else:
        item["pushed"] = pushed
    return item


def run(steps: Sequence[Step], *, dry_run: bool = False, quiet: bool = False) -> dict[str, dict]:
    """Publish `steps` in order (or, with dry_run, only say what would run). Stops at the first
    failure with emb's error for it. Returns the `--json` map id -> result."""
    creds = credentials()
    results: dict[str, dict] = {}
    if dry_run:
        for step in steps:
            results[step.resource.id] = result(step, dry_run=True)
        return results
    missing = [s.source for s in steps if not images.image_exists(s.source)]
    if missing:
        raise EmbError(f"not built yet: {', '.join(missing)} (publishing builds nothing)",
                       ["build them first: emb resources build"], exit_code=images.EXIT_FAILED)
    config_dir = Path(tempfile.mkdtemp(prefix="emb-docker-config-")) if creds else None
    try:
        if creds:
            for host in sorted({images.registry_host(s.target) for s in steps}):
                _login(host, creds, config_dir)
        for step in steps:
            if not quiet:
                note(f"emb: publishing {step.resource.id} -> {step.target}")
            if step.retag:
                done = images.docker_capture(images.tag_argv(step.source, step.target))
                if not done.ok:
                    raise images.registry_error(done.error_text(), step.source)
            push = images.with_config(images.push_argv(step.target), config_dir)
            if quiet:  # --json: stdout is the JSON document alone, docker's progress is not shown
                done = images.docker_capture(push, timeout=PUSH_TIMEOUT)
                code, tail = done.returncode, done.error_text()
            else:
                code, tail = images.docker_passthrough(push)
            if code != 0:
                if code == EXIT_INTERRUPTED:
                    raise EmbError("publishing interrupted", exit_code=EXIT_INTERRUPTED)
                raise images.registry_error(redact.mask(tail), step.target, logged_in=bool(creds))
            results[step.resource.id] = result(step, dry_run=False, pushed=True)
    finally:
        if config_dir is not None:
            shutil.rmtree(config_dir, ignore_errors=True)
    return results


def _login(host: str, creds: tuple[str, str], config_dir: Path) -> None:
    user, password = creds
    done = images.docker_capture(images.with_config(images.login_argv(login_server(host), user), config_dir),
                                 input=password.encode(), timeout=120)
    if not done.ok:
        err = images.login_error(redact.mask(done.error_text()), host)
        raise EmbError(redact.mask(err.message), [redact.mask(h) for h in err.hints], exit_code=err.exit_code)
