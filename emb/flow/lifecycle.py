"""What `emb images`, `emb containers`, `emb logs archive` and `emb clean` do (SPEC §5).

The project's images are `<project>/…` references (and the registry tags that
publishing made, `…/<project>/…`) on images labelled `emb/project=<project>`;
its containers carry the Compose project label. Everything that deletes
checks both, so another project's images and containers are never touched;
`--dry-run` lists what would go and changes nothing.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path
from typing import Sequence

from emb import state
from emb.docker import compose, images
from emb.errors import CannotStart, EmbError, UsageError
from emb.output import note


# --- images --------------------------------------------------------------------------

def project_images(monorepo, all_images: bool = False, *, retags: bool = False) -> list[images.ImageRow]:
    listing = images.docker_capture(images.list_images_argv(monorepo.name, all_images))
    if not listing.ok:
        raise CannotStart(f"docker image ls failed: {images.last_error_line(listing.error_text())}",
                          ["check with: docker image ls"])
    return images.image_rows(listing.text(), monorepo.name, all_images, retags=retags)


def image_items(monorepo, all_images: bool = False) -> list[dict]:
    rows = project_images(monorepo, all_images)
    return images.image_items(rows, images.inspect_images([r.id for r in rows]))


def delete_images(monorepo, *, force: bool = False, dry_run: bool = False, quiet: bool = False) -> list[str]:
    """Untag (and so delete) every reference of the project, the registry tags that
    publishing made included; returns them."""
    refs = [r.reference for r in project_images(monorepo, retags=True) if r.reference]
    if not refs:
        return []
    argv = images.remove_images_argv(refs, force)
    if dry_run:
        click_echo(shlex.join(argv))
        return refs
    done = images.docker_capture(argv)
    if not quiet and done.stdout:
        click_echo(done.text())
    if not done.ok:
        raise EmbError(f"docker could not delete every image of {monorepo.name}: "
                       f"{images.last_error_line(done.error_text())}",
                       ["an image still used by a container needs -f/--force (or `emb down` first)"],
                       exit_code=images.EXIT_FAILED)
    return refs


def prune_images(monorepo, *, all_images: bool = False, dry_run: bool = False, quiet: bool = False) -> None:
    argv = images.prune_images_argv(monorepo.name, all_images)
    if dry_run:
        click_echo(shlex.join(argv))
        return
    done = images.docker_capture(argv)
    if not done.ok:
        raise EmbError(f"docker image prune failed: {images.last_error_line(done.error_text())}",
                       exit_code=images.EXIT_FAILED)
    if not quiet:
        click_echo(done.text())


# --- containers ----------------------------------------------------------------------

def compose_project(monorepo) -> str | None:
    """The Compose project's name, or None when the monorepo has no compose file."""
    compose.compose_argv()
    if not compose.compose_file_applies(Path(monorepo.root)):
        return None
    return compose.project_name(monorepo)


def container_items(monorepo, all_containers: bool = False) -> list[dict]:
    project = compose_project(monorepo)
    if project is None:
        raise compose.no_compose_file_error(monorepo)
    done = images.docker_capture(images.list_containers_argv(project, all_containers))
    if not done.ok:
        raise CannotStart(f"docker container ls failed: {images.last_error_line(done.error_text())}",
                          ["check with: docker container ls -a"])
    return images.container_items(done.text())


def prune_containers(monorepo, *, dry_run: bool = False, quiet: bool = False) -> list[dict]:
    """Remove the project's stopped containers; returns those that were (or would be) removed."""
    project = compose_project(monorepo)
    if project is None:
        return []
    stopped = [c for c in _listing(project) if c["state"] not in ("running", "paused", "restarting")]
    argv = images.prune_containers_argv(project)
    if dry_run:
        click_echo(shlex.join(argv))
        return stopped
    done = images.docker_capture(argv)
    if not done.ok:
        raise EmbError(f"docker container prune failed: {images.last_error_line(done.error_text())}",
                       exit_code=images.EXIT_FAILED)
    if not quiet:
        click_echo(done.text())
    return stopped


def _listing(project: str) -> list[dict]:
    done = images.docker_capture(images.list_containers_argv(project, True))
    rows = images.json_lines(done.text()) if done.ok else []
    return [{"id": str(r.get("id", ""))[:12], "name": r.get("name", ""), "state": r.get("state", "")}
            for r in rows]


# --- logs archive ----------------------------------------------------------------------

def archive_logs(monorepo, services: Sequence[str], *, timestamps: bool = False, tail: str | None = None,
                 output: str | None = None) -> list[dict]:
    """One file `<service>.log` per service (all services by default) in `output`
    (default `.emb/<flavor>/logs/docker/compose/`); returns [{service, path}]."""
    if not compose.compose_file_applies(Path(monorepo.root)):
        raise compose.no_compose_file_error(monorepo)
    for name in services:
        compose.require_service(monorepo, name)
    names = list(services) or sorted(compose.compose_services(monorepo))
    if output:
        folder = Path(output)
        folder = folder if folder.is_absolute() else Path(os.getcwd()) / folder
    else:
        folder = state.flavor_dir(monorepo.root, monorepo.flavor) / "logs" / "docker" / "compose"
        refuse_symlinks(monorepo.root, folder)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise UsageError(f"cannot create the log folder {folder}: {exc.strerror}") from None
    written = []
    for name in names:
        done = compose.capture_compose(monorepo, compose.logs_args([name], timestamps=timestamps, tail=tail,
                                                                   color=False))
        path = folder / f"{name}.log"
        write_private(path, done.stdout)
        written.append({"service": name, "path": str(path)})
    return written


def write_private(path: Path, data: bytes) -> None:
    """Write a 0600 file, never through a symlink (the folder may be the user's, from -o)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


# --- clean -----------------------------------------------------------------------------

def refuse_symlinks(root: Path, inside: Path) -> None:
    """emb's state folders must be real folders: a `.emb` (or a folder below it) that is a
    symlink could make emb write, or delete, somewhere else."""
    root = Path(root)
    current = root
    for part in Path(inside).relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            raise UsageError(f"{current} is a symbolic link; emb keeps its state only in a real folder",
                             [f"remove the link (rm {current}) and run the command again"])


def state_folders(monorepo) -> list[Path]:
    """The `.emb/` folders emb writes: beside the monorepo root and beside .emb.yml."""
    folders = [Path(monorepo.root) / state.STATE_FOLDER, Path(monorepo.config_file).parent / state.STATE_FOLDER]
    seen, out = set(), []
    for f in folders:
        key = os.path.normpath(str(f))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def check_state(folder: Path) -> bool:
    """Whether `folder` (a `.emb/`) exists and is emb's to delete: a real folder, not a link."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise UsageError(f"{folder} is a symbolic link; emb deletes its state only in a real folder",
                         [f"remove the link by hand (rm {folder}) if it is yours"])
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{folder} is not a folder; emb did not create it and leaves it alone",
                         [f"remove it by hand if it is not yours to keep: rm {folder}"])
    return True


def remove_state(folder: Path, *, dry_run: bool) -> bool:
    """Delete one `.emb/` folder (never through a symlink); True when it existed."""
    if not check_state(folder):
        return False
    if dry_run:
        click_echo(f"rm -r {shlex.quote(str(folder))}")
        return True
    import shutil

    def failed(function, path, excinfo):
        raise UsageError(f"cannot delete {path}: {getattr(excinfo[1], 'strerror', excinfo[1])}")

    shutil.rmtree(folder, onerror=failed)  # links inside are unlinked, never followed
    return True


def clean(monorepo, *, force: bool = False, dry_run: bool = False) -> dict:
    """`emb clean`: down, prune the project's containers, delete its images, prune its
    dangling images, remove `.emb/`. Returns what went (or would go)."""
    report: dict = {"down": False, "containers": [], "images": [], "state": []}
    for folder in state_folders(monorepo):  # a refusal comes before anything is removed
        check_state(folder)
    has_compose = compose_file_applies_safely(monorepo)
    if has_compose:
        args = compose.down_args()
        if dry_run:
            click_echo(compose.shell_line(args))
        else:
            note("emb: docker compose down")
            code = compose.stream_compose(monorepo, args)
            if code != 0:
                raise EmbError(f"docker compose down failed (exit code {code})",
                               ["see the message above"], exit_code=images.EXIT_FAILED)
        report["down"] = True
        report["containers"] = [c["name"] for c in prune_containers(monorepo, dry_run=dry_run, quiet=True)]
    report["images"] = delete_images(monorepo, force=force, dry_run=dry_run, quiet=True)
    prune_images(monorepo, dry_run=dry_run, quiet=True)
    for folder in state_folders(monorepo):
        if remove_state(folder, dry_run=dry_run):
            report["state"].append(str(folder))
    return report


def compose_file_applies_safely(monorepo) -> bool:
    try:
        compose.compose_argv()
    except CannotStart:
        return False
    return compose.compose_file_applies(Path(monorepo.root))


def click_echo(text: str) -> None:
    import click

    text = text.rstrip("\n")
    if text:
        click.echo(text)
