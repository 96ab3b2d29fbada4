"""The real docker is the oracle: what `COPY . /ctx/` puts in an image is what context_entries lists.

Each case writes a context (files, folders, symlinks, modes, a tricky
.dockerignore), builds `FROM scratch` + `COPY . /ctx/` with the docker CLI
exactly as emb calls it (`docker build CONTEXT -f DOCKERFILE -t REF`, the
caller's environment), exports a container of the image and compares the
entries under /ctx with ours: path, kind, permission bits and link target.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from emb.resources import context as ctx
from tests.integration.docker_plugin import SESSION_ID

pytestmark = pytest.mark.docker

COPY_ALL = "FROM scratch\nCOPY . /ctx/\n"

# path -> content (str), or ("link", target), ("dir", mode), ("mode", mode, content)
CASES: dict[str, dict] = {
    "no-ignore-file": {
        "Dockerfile": COPY_ALL,
        "app.py": "print(1)\n",
        "run.sh": ("mode", 0o755, "#!/bin/sh\n"),
        ".hidden": "h\n",
        "sub/deep/file.txt": "deep\n",
        "empty": ("dir", 0o755),
        "sub/empty-too": ("dir", 0o755),
        "link-to-file": ("link", "app.py"),
        "link-to-dir": ("link", "sub"),
        "dangling": ("link", "nowhere/at/all"),
        "absolute": ("link", "/etc/passwd"),
    },
    "comments-whitespace-bom-crlf": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "\ufeff# a comment\r\n\r\n  *.log  \r\n # not a comment\r\n/tmp\r\nbuild/\r\n./dist//x\r\n",
        "a.log": "l\n",
        "keep.txt": "k\n",
        "# not a comment": "file named like a comment\n",
        "# a comment": "this one is sent: its line is a comment\n",
        "tmp/t": "t\n",
        "sub/tmp/t": "not the top tmp\n",
        "build/out.o": "o\n",
        "dist/x": "x\n",
        "dist/y": "y\n",
        "sub/b.log": "*.log is top level only\n",
    },
    "exceptions-order": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "docs\n!docs/keep.md\n*.md\n!README.md\nsecret*\n!secret.example\nd\n!d/f\nd\n",
        "README.md": "r\n",
        "CHANGES.md": "c\n",
        "docs/keep.md": "k\n",
        "docs/drop.md": "x\n",
        "docs/img/a.png": "png\n",
        "secret.key": "s\n",
        "secret.example": "e\n",
        "d/f": "re-included: the later `d` was not evaluated for folder d\n",
        "d/g": "g\n",
    },
    "double-star": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "**/*.pyc\n**/node_modules\na/**/z\n**.tmp\n!**/keep.pyc\ncache/**\n",
        "m.pyc": "1", "p/q/m.pyc": "2", "p/q/keep.pyc": "3", "keep.pyc": "4",
        "node_modules/x/index.js": "5", "web/node_modules/y.js": "6", "web/node_modulesx": "7",
        "a/z": "8", "a/b/c/z": "9", "a/b/zz": "10",
        "x.tmp": "11", "deep/er/y.tmp": "12", "dir.tmp/inside": "13", "xtmp": "14",
        "cache/c1": "15", "cache/sub/c2": "16",
    },
    "exception-globs-below-excluded": {
        # BuildKit enters vendor/lib for !vendor/**/*.go; the legacy builder does not.
        "Dockerfile": COPY_ALL,
        ".dockerignore": "vendor\n!vendor/**/*.go\nlogs\n!**/keep.log\n",
        "vendor/top.go": "1", "vendor/lib/deep.go": "2", "vendor/lib/deep.c": "3",
        "logs/keep.log": "4", "logs/other.log": "5", "src/keep.log": "6",
    },
    "classes-and-escapes": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "file[0-9].txt\n[!a]x.cfg\n\\*literal\n?.one\nfile(1).txt\nname+plus\n[^b]y.cfg\n"
                         "v[[:digit:]]\na^b*\n\\!bang\n$HOME\nc{2}\nx|y\n",
        "v1": "16", "va": "17", "a^bc": "18", "!bang": "19", "$HOME": "20", "c{2}": "21", "cc": "22",
        "x|y": "23", "x": "24",
        "file1.txt": "1", "filea.txt": "2",
        "ax.cfg": "3", "bx.cfg": "4", "!x.cfg": "5",
        "*literal": "6", "xliteral": "7",
        "a.one": "8", "ab.one": "9",
        "file(1).txt": "10", "file1.txt.bak": "11",
        "name+plus": "12", "nameplus": "13",
        "ay.cfg": "14", "by.cfg": "15",
    },
    "non-ascii-names": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "é?.txt\nдок*\n",
        "é1.txt": "1", "éé.txt": "2", "éab.txt": "3", "документ": "4", "docs/ünï": "5",
    },
    "dockerfile-and-ignore-excluded": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "*\n!src\n!*.md\n",
        "src/a.c": "1", "other/b.c": "2", "README.md": "3", "top.txt": "4",
    },
    "dockerfile-in-excluded-folder": {
        # -f docker/app.Dockerfile; BuildKit would read docker/app.Dockerfile.dockerignore instead.
        "@dockerfile": "docker/app.Dockerfile",
        "docker/app.Dockerfile": COPY_ALL,
        "docker/app.Dockerfile.dockerignore": "src\n",
        "docker/other": "o\n",
        ".dockerignore": "docker\n",
        "src/main.c": "m\n",
    },
    "modes": {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "private\n!private/pub\n",
        "private/pub": ("mode", 0o640, "p\n"),
        "private/no": "n\n",
        "private": ("dir", 0o700),
        "tool": ("mode", 0o4755, "setuid\n"),
        "gtool": ("mode", 0o2755, "setgid, group-executable\n"),
        "glock": ("mode", 0o2640, "setgid, not group-executable\n"),
        "secret": ("mode", 0o600, "s\n"),
        "shared": ("dir", 0o2770),
        "shared/f": ("mode", 0o660, "f\n"),
    },
    "dockerfile-outside-context": {
        "@context": "ctx",
        "@dockerfile": "Dockerfile",
        "Dockerfile": COPY_ALL,
        "ctx/.dockerignore": "*.bak\n",
        "ctx/a.txt": "a\n",
        "ctx/a.bak": "b\n",
    },
}


def _write_case(root: Path, files: dict) -> tuple[Path, Path]:
    for rel, spec in files.items():
        if rel.startswith("@"):
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            path.write_bytes(spec.encode())
        elif spec[0] == "link":
            os.symlink(spec[1], path)
        elif spec[0] == "dir":
            path.mkdir(exist_ok=True)
            path.chmod(spec[1])
        elif spec[0] == "mode":
            path.write_text(spec[2])
            path.chmod(spec[1])
    context = root / files.get("@context", ".")
    return context.resolve(), (root / files.get("@dockerfile", "Dockerfile")).resolve()


def _docker(*args: str, timeout: float = 180, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def builder(docker_daemon) -> str:
    """The builder `docker build` uses here, decided the way emb decides it."""
    buildx = _docker("buildx", "version", timeout=30).returncode == 0
    return ctx.docker_builder(buildx, os.environ)


def _sent_by_docker(context: Path, dockerfile: Path, tag: str, builder: str) -> list[ctx.Entry]:
    built = _docker("build", str(context), "-f", str(dockerfile), "-t", tag)
    output = (built.stdout + built.stderr).decode(errors="replace")
    assert built.returncode == 0, output
    # The legacy builder announces the upload of its context tarball; BuildKit does not.
    assert ("Sending build context to Docker daemon" in output) == (builder == ctx.LEGACY), output
    created = _docker("create", tag, "/none")
    assert created.returncode == 0, created.stderr
    container = created.stdout.decode().strip()
    try:
        exported = _docker("export", container)
        assert exported.returncode == 0, exported.stderr
    finally:
        _docker("rm", "-f", container)
    entries = []
    with tarfile.open(fileobj=io.BytesIO(exported.stdout)) as tar:
        for member in tar:
            name = member.name.rstrip("/")
            if not name.startswith("ctx/"):
                continue
            kind = "d" if member.isdir() else "l" if member.issym() else "f" if member.isfile() else "?"
            entries.append(ctx.Entry(name[4:], kind, member.mode & 0o7777, member.linkname if member.issym() else ""))
    return sorted(entries)


@pytest.mark.parametrize("case", sorted(CASES))
def test_context_entries_are_what_docker_copies(case, builder, tmp_path):
    context, dockerfile = _write_case(tmp_path, CASES[case])
    tag = f"emb-test-context-{SESSION_ID}-{case}"
    try:
        theirs = _sent_by_docker(context, dockerfile, tag, builder)
    finally:
        _docker("rmi", "-f", tag)
    ours = ctx.context_entries(context, dockerfile, builder=builder)
    assert [e.path for e in ours] == [e.path for e in theirs]
    assert [_as_copied(e) for e in ours] == theirs


def _as_copied(entry: ctx.Entry) -> ctx.Entry:
    """COPY chowns what it unpacks, and Linux's chown clears set-user-id (and set-group-id on a group-executable file)."""
    if entry.kind != "f":
        return entry
    cleared = 0o4000 | (0o2000 if entry.mode & 0o010 else 0)
    return entry._replace(mode=entry.mode & ~cleared)

