"""The Docker Compose wrapper: which binary, the project's services, their state.

emb never talks to the Docker API: it runs the Compose CLI the user already
has, in the monorepo root, so COMPOSE_FILE, COMPOSE_PROFILES, override files
and `.env` behave exactly as they do for `docker compose` typed by hand.

Speed matters because `emb run` asks "is this component a Compose service?"
to pick a task's default executor. So:
- nothing here runs docker unless a compose file can apply to the root;
- the binary is found by looking at files (no `docker compose version`
  call in the common case), and the Compose v2 plugin is run directly (see
  `compose_argv`), which skips the docker CLI's plugin dispatch (~70 ms);
- the service list is cached per invocation and on disk, keyed by the compose
  files' stats, the COMPOSE_* environment and the binary.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable, Mapping

from emb import launch, process, state
from emb.docker.engine import INSTALL_HINT, daemon_error
from emb.errors import CannotStart

# The files `docker compose` reads by default, in its order of preference.
COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_FILE_NAMES = (
    "compose.override.yaml", "compose.override.yml",
    "docker-compose.override.yaml", "docker-compose.override.yml",
)
# Where the docker CLI looks for CLI plugins after the user's config dir (Linux/macOS).
SYSTEM_PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
)

_argv_cache: dict[tuple, tuple[str, ...]] = {}
_services_cache: dict[str, frozenset[str]] = {}


# --- which binary -------------------------------------------------------------

def compose_argv() -> tuple[str, ...]:
    """The command line prefix that runs Compose, e.g. ("/root/.docker/cli-plugins/docker-compose",).

    Preference (SPEC §5): the `docker compose` v2 plugin, else `docker-compose`.
    When the plugin file is found next to a `docker` CLI it is run directly:
    the v2 plugin is the same program as standalone Compose v2 and honours
    DOCKER_HOST / DOCKER_CONTEXT itself, and this saves the docker CLI's
    plugin discovery (it runs every plugin's metadata command) on each call.
    Raises CannotStart when neither flavour is available.
    """
    # The tool variables as emb was started with them (emb.launch), never the repository's.
    key = tuple(launch.tool_variable(name, "") for name in ("PATH", "DOCKER_CONFIG", "HOME"))
    if key not in _argv_cache:
        _argv_cache[key] = _find_compose()
    return _argv_cache[key]


def _find_compose() -> tuple[str, ...]:
    docker = process.which("docker")
    if docker:
        plugin = _plugin_path()
        if plugin:
            return (plugin,)
        # A plugin in a place we do not know (Docker Desktop, a packaged
        # layout...): ask docker itself, once per invocation.
        if _docker_compose_works(docker):
            return ("docker", "compose")
    if process.which("docker-compose"):
        return ("docker-compose",)
    if docker:
        raise CannotStart(
            "neither the `docker compose` plugin nor `docker-compose` is installed",
            [INSTALL_HINT, "check with: docker compose version"],
        )
    raise CannotStart(
        "the docker CLI is not installed (no `docker` or `docker-compose` on PATH)",
        [INSTALL_HINT],
    )


def plugin_dirs() -> list[Path]:
    """The docker CLI's plugin search path: config dir, cliPluginsExtraDirs, system dirs."""
    config_dir = Path(launch.tool_variable("DOCKER_CONFIG") or Path(launch.home()) / ".docker")
    dirs = [config_dir / "cli-plugins"]
    try:
        with open(config_dir / "config.json", encoding="utf-8") as f:
            extra = json.load(f).get("cliPluginsExtraDirs") or []
        dirs += [Path(os.path.expanduser(d)) for d in extra if isinstance(d, str)]
    except (OSError, ValueError, AttributeError):
        pass  # no or unreadable config: the docker CLI would ignore it too
    dirs += [Path(d) for d in SYSTEM_PLUGIN_DIRS]
    return dirs


def _plugin_path() -> str | None:
    for d in plugin_dirs():
        candidate = d / "docker-compose"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _docker_compose_works(docker: str) -> bool:
    return process.capture([docker, "compose", "version"], timeout=30).ok


def display_name(argv: Iterable[str]) -> str:
    """How to name the chosen binary in messages: `docker compose` or `docker-compose`."""
    argv = tuple(argv)
    if argv[:2] == ("docker", "compose") or (len(argv) == 1 and os.path.dirname(argv[0])):
        return "docker compose"
    return "docker-compose"


# --- which compose files --------------------------------------------------------

def compose_file_applies(root: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Whether `docker compose` run in root would find a configuration, judged from files only."""
    environ = os.environ if environ is None else environ
    if environ.get("COMPOSE_FILE"):
        return True
    if any((root / name).is_file() for name in COMPOSE_FILE_NAMES):
        return True
    return "COMPOSE_FILE" in _dotenv_keys(root / ".env")


def _dotenv_keys(path: Path) -> set[str]:
    """The variable names a `.env` file sets (Compose reads COMPOSE_* from it)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    keys = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, sep, _ = line.partition("=")
        if sep and not name.startswith("#"):
            keys.add(name.strip())
    return keys


def _inputs(root: Path, environ: Mapping[str, str]) -> list[str]:
    """Every file Compose may read for the service list, as "path:mtime:size" (or "path:-")."""
    paths = [root / n for n in (*COMPOSE_FILE_NAMES, *OVERRIDE_FILE_NAMES, ".env")]
    separator = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    for var in ("COMPOSE_FILE", "COMPOSE_ENV_FILES"):
        for item in filter(None, environ.get(var, "").split(separator)):
            paths.append(root / item)  # absolute items stay absolute
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append(f"{p}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            out.append(f"{p}:-")
    return out


def services_cache_key(root: Path, argv: Iterable[str], environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    compose_env = sorted((k, v) for k, v in environ.items() if k.startswith("COMPOSE_"))
    return json.dumps([str(root), list(argv), compose_env, _inputs(root, environ)])


# --- the project's services ---------------------------------------------------------

def compose_services(monorepo) -> frozenset[str]:
    """The project's services per `docker compose config --services` in the monorepo root.

    Empty, without running anything, when no compose file can apply or no
    Compose CLI is installed (that question is "is it a service?"; the
    container executor reports the missing CLI itself). Cached for this
    invocation and on disk. Raises CannotStart when Compose rejects the
    configuration (a broken compose file must not silently make every
    component "not a service").
    """
    root = Path(monorepo.root)
    if not compose_file_applies(root):
        return frozenset()
    try:
        argv = compose_argv()
    except CannotStart:
        return frozenset()
    key = services_cache_key(root, argv)
    if key in _services_cache:
        return _services_cache[key]
    cache_file = state.flavor_dir(monorepo.config_file.parent, monorepo.flavor) / "cache" / "compose-services.json"
    stored = state.read_record(cache_file, key)
    if isinstance(stored, list):
        services = frozenset(str(s) for s in stored)
    else:
        out = run_compose(monorepo, ["config", "--services"]).text()
        services = frozenset(line.strip() for line in out.splitlines() if line.strip())
        state.write_record(cache_file, key, sorted(services))
    _services_cache[key] = services
    return services


def clear_caches() -> None:
    """Forget this invocation's answers (tests; commands that change the project)."""
    _argv_cache.clear()
    _services_cache.clear()


def require_service(monorepo, name: str) -> None:
    """Raise CannotStart unless `name` is one of the project's Compose services."""
    compose_argv()  # a missing CLI is the clearer error
    if not compose_file_applies(Path(monorepo.root)):
        raise no_compose_file_error(monorepo)
    services = compose_services(monorepo)
    if name not in services:
        raise not_a_service_error(name, services)


# --- running state -----------------------------------------------------------------

def running_services(monorepo) -> frozenset[str]:
    """Services with at least one running container (`ps --services --filter status=running`)."""
    out = run_compose(monorepo, ["ps", "--services", "--filter", "status=running"]).text()
    return frozenset(line.strip() for line in out.splitlines() if line.strip())


def containers(monorepo) -> list[dict]:
    """The project's containers, running or not, from `ps -a --format json`.

    Compose >= 2.21 prints one JSON object per line; older v2 releases print
    one JSON array. Both are accepted.
    """
    out = run_compose(monorepo, ["ps", "-a", "--format", "json"]).text().strip()
    if not out:
        return []
    if out.startswith("["):
        rows = json.loads(out)
    else:
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in rows if isinstance(r, dict)]


# --- running compose and explaining its errors ---------------------------------------

def run_compose(monorepo, args: list[str], timeout: float = process.LOOKUP_TIMEOUT) -> process.Captured:
    """Run a read-only compose command in the monorepo root and capture its output
    (`.stdout` as text). A failure becomes a CannotStart with Compose's own
    message and our hints."""
    argv = [*compose_argv(), *args]
    done = process.capture(argv, cwd=monorepo.root, timeout=timeout)
    if done.missing:  # the binary vanished between lookup and use
        raise CannotStart(f"cannot run {display_name(argv)}: {os.strerror(done.start_errno)}", [INSTALL_HINT])
    if done.timed_out:
        raise CannotStart(
            f"`{display_name(argv)} {' '.join(args)}` did not answer within {timeout:.0f} s",
            ["check that the Docker daemon is responsive: docker info"],
        )
    stderr = done.error_text()
    if done.returncode != 0:
        raise classify_failure(stderr, monorepo=monorepo) or CannotStart(
            f"{display_name(argv)} {' '.join(args)} failed: {first_line(stderr) or f'exit code {done.returncode}'}",
            [f"run it by hand in {monorepo.root} to see the whole message"],
        )
    return done


def first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def last_line(text: str) -> str:
    for line in reversed((text or "").splitlines()):
        if line.strip():
            return line.strip()
    return ""


_NOT_RUNNING = re.compile(r'service "([^"]+)" is not running')
_NO_SUCH_SERVICE = re.compile(r"no such service: (\S+)")


def classify_failure(stderr: str, *, monorepo=None, services: Iterable[str] | None = None):
    """Turn Compose's stderr into an EmbError with hints, or None when it is not one we know."""
    text = stderr or ""
    daemon = daemon_error(text)
    if daemon is not None:
        return daemon
    if "no configuration file provided" in text:
        return no_compose_file_error(monorepo)
    m = _NOT_RUNNING.search(text)
    if m:
        return not_running_error(m.group(1))
    m = _NO_SUCH_SERVICE.search(text)
    if m:
        name = m.group(1).strip("\"'")
        if services is None and monorepo is not None:
            try:
                services = compose_services(monorepo)
            except CannotStart:
                services = None
        return not_a_service_error(name, services or ())
    return None


def no_compose_file_error(monorepo=None) -> CannotStart:
    where = f" in {monorepo.root}" if monorepo is not None else ""
    return CannotStart(
        f"no Docker Compose file{where}",
        [f"create {COMPOSE_FILE_NAMES[0]} there, or point COMPOSE_FILE at your compose file(s)"],
    )


def not_a_service_error(name: str, services: Iterable[str]) -> CannotStart:
    names = sorted(services)
    listing = ", ".join(names) if names else "none"
    return CannotStart(
        f"{name} is not a Docker Compose service (services: {listing})",
        ["a component runs in a container only when a Compose service has its name",
         "check with: docker compose config --services"],
    )


def not_running_error(service: str) -> CannotStart:
    return CannotStart(
        f"the Compose service {service} is not running",
        [f"start it with: emb up {service}"],
    )


def stream_compose(monorepo, args: list[str]) -> int:
    """Run a compose command that talks to the user (up, down, logs): output passes through live.

    stdout is inherited; stderr is copied through line by line while its tail
    is kept, so a failure we recognise (daemon unreachable...) still becomes
    emb's one-line error and exit 125. Returns compose's exit code otherwise.
    """
    argv = [*compose_argv(), *args]
    try:
        code, tail = process.passthrough(argv, cwd=monorepo.root)
    except OSError as exc:
        raise CannotStart(f"cannot run {display_name(argv)}: {exc.strerror}", [INSTALL_HINT]) from None
    if code != 0 and code not in process.STOPPED_CODES:
        error = classify_failure(tail.decode("utf-8", "replace"), monorepo=monorepo)
        if error is not None:
            raise error
    return code


# --- the lifecycle commands (SPEC §5): their arguments after the compose binary ----------
# Service names come from the command line or the repository: always after `--`.

def up_args(services: Iterable[str] = (), *, force_recreate: bool = False, build: bool = False) -> list[str]:
    return ["up", "-d", *(["--build"] if build else []), *(["--force-recreate"] if force_recreate else []),
            "--", *services]


def down_args(services: Iterable[str] = (), *, volumes: bool = False) -> list[str]:
    return ["down", *(["--volumes"] if volumes else []), "--", *services]


def start_args(services: Iterable[str] = ()) -> list[str]:
    return ["start", "--", *services]


def stop_args(services: Iterable[str] = ()) -> list[str]:
    return ["stop", "--", *services]


def restart_args(services: Iterable[str] = (), *, no_deps: bool = False) -> list[str]:
    return ["restart", *(["--no-deps"] if no_deps else []), "--", *services]


def logs_args(services: Iterable[str] = (), *, follow: bool = False, tail: str | None = None,
              timestamps: bool = False, color: bool = True) -> list[str]:
    return ["logs", *([] if color else ["--no-color"]), *(["--follow"] if follow else []),
            *(["--timestamps"] if timestamps else []), *(["--tail", str(tail)] if tail is not None else []),
            "--", *services]


def project_name(monorepo) -> str:
    """The Compose project's name (`config --format json`), which labels its containers:
    COMPOSE_PROJECT_NAME, the file's `name:`, or the folder, as Compose decides."""
    done = run_compose(monorepo, ["config", "--format", "json", "--no-interpolate"])
    try:
        name = json.loads(done.text()).get("name")
    except (ValueError, AttributeError):
        name = None
    if not name:
        raise CannotStart(f"{display_name(compose_argv())} config did not name the project",
                          [f"run it by hand in {monorepo.root}: docker compose config --format json"])
    return str(name)


def shell_line(args: Iterable[str]) -> str:
    """How `--dry-run` shows a compose call (`docker compose ARGS`)."""
    import shlex

    return shlex.join(["docker", "compose", *args])


def capture_compose(monorepo, args: list[str], timeout: float = 600.0) -> process.Captured:
    """A compose call whose output emb keeps (logs archive): errors worded as run_compose does."""
    return run_compose(monorepo, args, timeout=timeout)
