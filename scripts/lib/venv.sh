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
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$top${extras:+[$extras]}" >&2 || return 1
        touch "$stamp"
    fi
    export PATH="$venv/bin:$PATH"
}
