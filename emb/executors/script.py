"""How a task's script runs on any target (SPEC §1 Tasks): with errexit, under
`bash -e -o pipefail` when the target has bash, else `sh -e` (with pipefail
when that sh supports it), decided on the target itself by one small POSIX
launcher: no extra round trip. Arguments after `--` reach the script as "$@".

    sh -c LAUNCHER emb SCRIPT [ARG...]
"""

from __future__ import annotations

# $0 is "emb", $1 the script, the rest its arguments. `exec` keeps one process
# (and one exit status) per run; eval keeps "$@" for the sh fallback.
LAUNCHER = (
    's=$1; shift; '
    'if command -v bash >/dev/null 2>&1; then exec bash -e -o pipefail -c "$s" "$0" "$@"; fi; '
    'set -e; if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi; eval "$s"'
)


def script_argv(script: str, args: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The argv that runs `script` (with `args` as "$@") with errexit on the target."""
    return ["sh", "-c", LAUNCHER, "emb", script, *args]
