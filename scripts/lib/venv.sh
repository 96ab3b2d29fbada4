# Sourced by scripts/*: create .venv (once) and install emb with the given extras.
# Re-installs only when setup.cfg changed since the last install.
emb_venv() {
    local extras="${1:-}"
    local top; top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    local venv="$top/.venv"
    local py="${PYTHON:-python3}"
    if [ ! -x "$venv/bin/python" ]; then
        echo "scripts: creating $venv" >&2
        "$py" -m venv "$venv" || return 1
    fi
    local stamp="$venv/.emb-installed${extras:+-$extras}"
    if [ ! -f "$stamp" ] || [ "$top/setup.cfg" -nt "$stamp" ] || [ "$top/pyproject.toml" -nt "$stamp" ]; then
        echo "scripts: installing emb${extras:+[$extras]} into $venv" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2 || return 1
        # editable_mode=compat: a plain .pth path entry instead of setuptools'
        # import-hook finder, which costs ~20-30 ms on every emb start.
        "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            --config-settings editable_mode=compat -e "$top${extras:+[$extras]}" >&2 || return 1
        touch "$stamp"
    fi
    # Byte-compile the package: where PYTHONDONTWRITEBYTECODE is set (it is on
    # our CI machines) Python would otherwise recompile emb on every start.
    "$venv/bin/python" -m compileall -q "$top/emb" >/dev/null 2>&1 || true
    export PATH="$venv/bin:$PATH"
}
