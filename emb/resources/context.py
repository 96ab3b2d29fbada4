"""What a `docker build` sends, and a fingerprint of it that is cheap to check again.

- `context_entries(context, dockerfile, builder)`: the entries docker sends as
  the build context (the folder minus `.dockerignore`), as the Dockerfile's
  `COPY . /dst/` sees them: relative slash paths, sorted. Symbolic links are
  sent as links (never followed); folders are sent too, empty ones included,
  and so is every folder above a sent entry, even an excluded one.
- `fingerprint_context(...)` / `watched_files(...)`: a manifest {path: value}
  where the value holds the entry's kind, its permission bits (docker's COPY
  keeps them) and a blake2b digest of its content (of the target text for a
  link). `manifest_digest` folds a manifest into one hex string; `diff`
  explains in a few words what changed between two manifests.
- `HashCache`: file digests keyed by (inode, size, mtime, ctime, device), so
  that checking an unchanged context again stats every file but reads none.
  The caller keeps it where it likes (`HashCache.load(bytes)`, `.dumps()`).

Two builders, two sets of rules (`docker_builder` says which one a `docker
build` uses): BuildKit (docker with the buildx plugin) and the legacy builder
(docker without it, or DOCKER_BUILDKIT=0). They differ in three ways:

- the ignore file: BuildKit prefers `<Dockerfile>.dockerignore` next to the
  Dockerfile (e.g. `app.Dockerfile.dockerignore`) to the context's
  `.dockerignore`; the legacy builder reads only the latter;
- the excluded folders the walk still enters to look for exceptions (see
  `_dockerignore.folder_rule`): with the legacy builder `!**/keep` re-includes
  nothing below an excluded folder, with BuildKit it does;
- the Dockerfile and .dockerignore: BuildKit treats them as any other file;
  the legacy CLI always sends them, and the daemon then deletes them from the
  context when .dockerignore names them (folders created only to hold an
  excluded Dockerfile stay behind, empty).
"""

from __future__ import annotations

import marshal
import os
import stat as st_
import time
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Sequence

try:  # built into CPython; hashlib would also load OpenSSL (~4 ms of start-up on every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import blake2b

from emb.errors import ConfigError, EmbError
from emb.resources._dockerignore import (
    Matcher,
    Pattern,
    compile_patterns,
    folder_rule,
    matches_one_parent,
    matches_or_parent_matches,
    read_ignore_file,
)
from emb.resources._globs import expand

BUILDKIT = "buildkit"
LEGACY = "legacy"
BUILDERS = (BUILDKIT, LEGACY)
DOCKERIGNORE = ".dockerignore"

# A file changed less than this before a check may change again without its
# (mtime, ctime) moving: file times come from a coarse clock (one tick is 1-10 ms
# on Linux). Such a file is hashed, but its digest is not cached. Filesystems that
# keep whole seconds (FAT: two) need a longer wait.
RACY_NS = 20_000_000
RACY_NS_COARSE = 2_000_000_000
_CHUNK = 1 << 20
_KIND = {st_.S_IFREG: "f", st_.S_IFDIR: "d", st_.S_IFLNK: "l", st_.S_IFIFO: "p",
         st_.S_IFCHR: "c", st_.S_IFBLK: "b"}
_KIND_NAMES = {"f": "file", "d": "folder", "l": "symlink", "p": "fifo", "c": "device", "b": "device"}


class Entry(NamedTuple):
    """One entry of a build context: `kind` is f(ile), d(irectory), l(ink), p(ipe), c or b (devices)."""

    path: str
    kind: str
    mode: int  # permission bits (st_mode & 0o7777)
    target: str = ""  # a link's target text


# -- which builder, which ignore file -------------------------------------------------

def docker_builder(buildx_available: bool, environ: Mapping[str, str]) -> str:
    """The builder `docker build` uses (docker CLI >= 23): BUILDKIT or LEGACY.

    DOCKER_BUILDKIT=0 asks for the legacy builder, DOCKER_BUILDKIT=1 for BuildKit
    (docker fails when buildx is missing); unset, BuildKit when the buildx plugin
    is installed, else the legacy builder.
    """
    value = environ.get("DOCKER_BUILDKIT", "")
    if value:
        if value in ("1", "t", "T", "true", "TRUE", "True"):
            return BUILDKIT
        if value in ("0", "f", "F", "false", "FALSE", "False"):
            return LEGACY
        raise ConfigError(f"DOCKER_BUILDKIT={value!r} is not a boolean",
                          hints=["docker accepts 1/0, true/false (or unset it)"])
    return BUILDKIT if buildx_available else LEGACY


def ignore_file(context: Path | str, dockerfile: Path | str | None = None,
                builder: str = BUILDKIT) -> Path | None:
    """The ignore file that applies, or None: see the module's docstring."""
    context = Path(context)
    dockerfile = _dockerfile(context, dockerfile)
    if _builder(builder) == BUILDKIT:
        specific = dockerfile.with_name(dockerfile.name + DOCKERIGNORE)
        if specific.is_file():
            return specific
    default = context / DOCKERIGNORE
    return default if default.is_file() else None


def ignore_patterns(context: Path | str, dockerfile: Path | str | None = None,
                    builder: str = BUILDKIT) -> tuple[Pattern, ...]:
    """The compiled patterns of the ignore file that applies (a ConfigError names a bad one)."""
    path = ignore_file(context, dockerfile, builder)
    if path is None:
        return ()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EmbError(f"cannot read {path}: {exc.strerror}") from None
    return compile_patterns(read_ignore_file(data), source=str(path))


# -- the walk -------------------------------------------------------------------------

def context_entries(context: Path | str, dockerfile: Path | str | None = None,
                    builder: str = BUILDKIT) -> list[Entry]:
    """The entries docker sends for `docker build CONTEXT -f DOCKERFILE`, sorted by path."""
    entries = []
    for rel, path, mode, _ in _context_records(Path(context), dockerfile, builder):
        kind = _KIND.get(st_.S_IFMT(mode), "?")
        target = os.readlink(path) if kind == "l" else ""
        entries.append(Entry(rel, kind, mode & 0o7777, target))
    return entries


Record = tuple  # (relative path, absolute path, mode as sent, lstat)


def _context_records(context: Path, dockerfile, builder: str) -> list[Record]:
    """(relative path, absolute path, mode as sent, lstat) of every entry sent, sorted by path."""
    builder = _builder(builder)
    context = Path(os.path.abspath(context))  # the hash cache is keyed by absolute paths
    if not context.is_dir():
        raise ConfigError(f"docker build context {context} is not a folder",
                          hints=["params.context is relative to the component "
                                 "(a leading / to the monorepo root)"])
    dockerfile = _dockerfile(context, dockerfile)
    patterns = ignore_patterns(context, dockerfile, builder)
    walk_patterns = patterns
    removable: list[str] = []
    if builder == LEGACY and patterns:
        # The CLI re-includes the Dockerfile and .dockerignore (it must send them);
        # the daemon deletes them again when .dockerignore excludes them.
        relative = _inside(context, dockerfile)
        extra = [name for name in (DOCKERIGNORE, relative)
                 if name and matches_one_parent(patterns, name)]
        if extra:
            walk_patterns = patterns + compile_patterns("!" + name for name in extra)
        if (context / DOCKERIGNORE).is_file():
            removable = [name for name in (DOCKERIGNORE, relative)
                         if name and matches_or_parent_matches(patterns, name)]
    records: list = []
    enters = folder_rule(walk_patterns, buildkit=builder == BUILDKIT)
    # The legacy builder leaves out an excluded folder it entered; the daemon makes it
    # again (mode 0755) when it unpacks something below. BuildKit sends the folder itself.
    holder_mode = None if builder == BUILDKIT else st_.S_IFDIR | 0o755
    matcher = Matcher(walk_patterns) if walk_patterns else None
    try:
        _scan(os.fspath(context), "", None, matcher, enters, holder_mode, records)
    except OSError as exc:
        raise EmbError(f"cannot read the docker build context {context}: {exc.strerror}") from None
    if removable:
        records = [record for record in records if record[0] not in removable]
    records.sort(key=_first)
    return records


def _first(record):
    return record[0]


def _scan(folder: str, prefix: str, parent, matcher, enters, holder_mode, out: list) -> bool:
    """Add what docker sends from `folder` to `out`; True if anything was added."""
    with os.scandir(folder) as it:
        children = list(it)
    sent = False
    for entry in children:
        rel = prefix + entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        results = None
        if matcher is not None:
            excluded, results = matcher.child(rel, parent)
            if excluded:
                # An excluded folder is entered only if an exception may match below it;
                # it is sent only to hold what is sent from it (docker's walkers do the same).
                if is_dir and enters(rel):
                    try:
                        below = _scan(entry.path, rel + "/", results, matcher, enters, holder_mode, out)
                    except PermissionError:  # both walkers ignore an unreadable excluded folder
                        below = False
                    if below and _add(entry, rel, out, holder_mode):
                        sent = True
                continue
        if not _add(entry, rel, out):
            continue
        sent = True
        if is_dir:
            try:
                _scan(entry.path, rel + "/", results, matcher, enters, holder_mode, out)
            except FileNotFoundError:  # removed while we walk
                pass
            except OSError as exc:
                raise EmbError(f"cannot read {entry.path}: {exc.strerror}",
                               hints=["docker would fail too; exclude it in .dockerignore "
                                      "if the image does not need it"]) from None
    return sent


def _add(entry: os.DirEntry, rel: str, out: list, mode: int | None = None) -> bool:
    try:
        info = entry.stat(follow_symlinks=False)
    except FileNotFoundError:  # removed while we walk
        return False
    if st_.S_ISSOCK(info.st_mode):  # docker sends no sockets
        return False
    out.append((rel, entry.path, mode or info.st_mode, info))
    return True


def _builder(builder: str) -> str:
    if builder not in BUILDERS:
        raise ValueError(f"unknown builder {builder!r}")
    return builder


def _dockerfile(context: Path, dockerfile) -> Path:
    return context / "Dockerfile" if dockerfile is None else Path(dockerfile)


def _inside(context: Path, dockerfile: Path) -> str | None:
    """The Dockerfile's path relative to the context as the docker CLI finds it; None if outside."""
    try:
        rel = os.path.relpath(os.path.realpath(dockerfile), os.path.realpath(context))
    except ValueError:  # pragma: no cover - other drive on Windows
        return None
    return None if rel == ".." or rel.startswith("../") else rel.replace(os.sep, "/")


# -- fingerprints ---------------------------------------------------------------------

class HashCache:
    """Digests of file contents, trusted while (inode, size, mtime, ctime, device) stay the same.

    `reads` counts the files whose content was read (a warm check reads none).
    """

    MAGIC = "emb-hash-cache"
    VERSION = 1
    MAX_ENTRIES = 200_000

    def __init__(self, entries: dict | None = None):
        self._old: dict = entries or {}
        self._now: dict = {}  # what this process looked up or hashed: kept first by dumps()
        self.reads = 0
        self.bytes_read = 0

    @classmethod
    def load(cls, data: bytes | None) -> "HashCache":
        """A cache from `dumps()`'s bytes; missing or unreadable bytes give an empty cache."""
        if not data:
            return cls()
        try:
            magic, version, entries = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return cls()
        if magic != cls.MAGIC or version != cls.VERSION or not isinstance(entries, dict):
            return cls()
        return cls(entries)

    def dumps(self) -> bytes:
        """The entries used by this process, then older ones, up to MAX_ENTRIES."""
        entries = dict(self._now)
        for path, value in self._old.items():
            if len(entries) >= self.MAX_ENTRIES:
                break
            entries.setdefault(path, value)
        return marshal.dumps((self.MAGIC, self.VERSION, entries))

    def __len__(self) -> int:
        return len(self._old.keys() | self._now.keys())

    def digest(self, path: str, info: os.stat_result, trusted_before: int) -> str:
        """The hex digest of the regular file at `path`, whose lstat is `info`.

        `trusted_before`: a time.time_ns() taken before `info`, less the racy window;
        a file changed since may change again unseen, so its digest is not kept.
        """
        key = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_dev)
        known = self._now.get(path) or self._old.get(path)
        if known is not None and known[0] == key:
            self._now[path] = known
            return known[1]
        digest = self._read(path)
        ctime = info.st_ctime_ns
        window = RACY_NS_COARSE if not (ctime % 1_000_000_000 or info.st_mtime_ns % 1_000_000_000) else 0
        if ctime < trusted_before - window:
            self._now[path] = (key, digest)
        else:
            self._now.pop(path, None)
            self._old.pop(path, None)
        return digest

    def _read(self, path: str) -> str:
        h = blake2b(digest_size=16)
        try:
            with open(path, "rb", buffering=0) as f:
                while True:
                    chunk = f.read(_CHUNK)
                    if not chunk:
                        break
                    h.update(chunk)
                    self.bytes_read += len(chunk)
        except OSError as exc:
            raise EmbError(f"cannot read {path}: {exc.strerror}",
                           hints=["docker would fail too: fix its permissions or exclude it"]) from None
        self.reads += 1
        return h.hexdigest()


def fingerprint_context(context: Path | str, dockerfile: Path | str | None = None,
                        builder: str = BUILDKIT, cache: HashCache | None = None) -> dict[str, str]:
    """The manifest {relative path: value} of what docker sends (see `context_entries`)."""
    started = time.time_ns()
    records = _context_records(Path(context), dockerfile, builder)
    return _manifest(records, HashCache() if cache is None else cache, started)


def entry_value(path: Path | str, cache: HashCache | None = None) -> str:
    """The manifest value of the file at `path`, through symlinks (docker reads a Dockerfile so)."""
    started = time.time_ns()
    path = os.path.realpath(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise EmbError(f"cannot read {path}: {exc.strerror}") from None
    cache = HashCache() if cache is None else cache
    return _manifest([(path, path, info.st_mode, info)], cache, started)[path]


def _manifest(records: Iterable, cache: HashCache, started: int) -> dict[str, str]:
    trusted_before = started - RACY_NS
    digest = cache.digest
    manifest = {}
    for rel, path, mode, info in records:
        kind = _KIND.get(st_.S_IFMT(mode), "?")
        if kind == "f":
            manifest[rel] = "f%04o:%s" % (mode & 0o7777, digest(path, info, trusted_before))
        elif kind == "l":
            target = os.fsencode(os.readlink(path))
            manifest[rel] = "l:" + blake2b(target, digest_size=16).hexdigest()
        elif kind in "cb":
            manifest[rel] = "%s%04o:%x" % (kind, mode & 0o7777, info.st_rdev)
        else:
            manifest[rel] = "%s%04o" % (kind, mode & 0o7777)
    return manifest


def manifest_digest(manifest: Mapping[str, str], inputs: Mapping[str, str] | None = None) -> str:
    """One hex digest for a whole manifest and named `inputs` (the Dockerfile's value, build
    arguments, dependencies' image ids...), independent of their order."""
    h = blake2b(b"emb-context-1\0", digest_size=32)
    for section in (manifest, inputs or {}):
        for key in sorted(section):
            h.update(os.fsencode(key) + b"\0" + section[key].encode("utf-8", "surrogateescape") + b"\n")
        h.update(b"\0\0")  # the end of a section: no key can move from one to the other
    return h.hexdigest()


def changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[tuple[str, str]]:
    """[(path, what)] for every difference, sorted by path; `what` reads after the path."""
    found = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        if before is None:
            found.append((path, "added"))
        elif after is None:
            found.append((path, "removed"))
        elif before[0] != after[0]:
            found.append((path, f"changed from a {_KIND_NAMES.get(before[0], before[0])} "
                                f"to a {_KIND_NAMES.get(after[0], after[0])}"))
        elif before[0] == "l":
            found.append((path, "now points elsewhere"))
        elif before[1:5] != after[1:5]:
            content = "" if before[5:] == after[5:] else " and content"
            found.append((path, f"mode{content} changed ({before[1:5]} -> {after[1:5]})"))
        else:
            found.append((path, "changed"))
    return found


def diff(old: Mapping[str, str], new: Mapping[str, str], limit: int = 3) -> list[str]:
    """Up to `limit` lines like "api/app.txt changed", then "and N more" if there are more."""
    found = changes(old, new)
    lines = [f"{path} {what}" for path, what in found[:limit]]
    if len(found) > limit:
        lines.append(f"and {len(found) - limit} more")
    return lines


# -- watch-paths ----------------------------------------------------------------------

def watched_files(context: Path | str, root: Path | str, globs: Sequence[str],
                  cache: HashCache | None = None) -> dict[str, str]:
    """The manifest of the files the watch-paths globs name (a ConfigError for one naming none).

    Globs are relative to the context, or to the monorepo root with a leading
    `/` (their manifest keys keep that `/`). As in EMB 0.30 (node-glob, nodir):
    `*`, `?`, `[...]`, `{a,b}` and `**` (any number of folders, symlinked ones
    not entered); wildcards skip names starting with "." unless the pattern's
    part starts with "." too; folders are not files (`src/**` watches a folder).
    """
    started = time.time_ns()
    records: dict[str, tuple] = {}
    for glob in globs:
        found = expand_glob(context, root, glob)
        if not found:
            base = root if glob.startswith("/") else context
            raise ConfigError(
                f"watch-paths: {glob!r} matches no file under {base}",
                hints=["paths are relative to the docker context; a leading / makes one "
                       "relative to the monorepo root",
                       "a folder is not a file: write 'folder/**' to watch what it holds"])
        for record in found:
            records.setdefault(record[0], record)
    cache = HashCache() if cache is None else cache
    return _manifest(sorted(records.values(), key=_first), cache, started)


def expand_glob(context: Path | str, root: Path | str, glob: str) -> list[Record]:
    """[(display path, absolute path, mode, lstat)] of the non-folder entries `glob` matches, sorted."""
    rooted = glob.startswith("/")
    base = os.path.abspath(root if rooted else context)
    found = {}
    for rel, path, info in expand(base, glob.lstrip("/") if rooted else glob):
        display = "/" + rel if rooted else rel
        found.setdefault(display, (display, path, info.st_mode, info))
    return sorted(found.values(), key=_first)
