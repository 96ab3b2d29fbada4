"""Where kubectl runs: with an exec credential plugin, or inside a pod (in-cluster config).

CredentialPlugin controls tests/kubesim/credential-plugin, the `exec:` user of the
`sim-exec` context: sim.credential_plugin.configure(delay=2, prompt="Enter code:",
fail="token expired"), sim.credential_plugin.calls (one entry per run).

InCluster gives a process what a pod gives it: KUBERNETES_SERVICE_HOST/PORT and the
service-account directory /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt,
namespace), no kubeconfig. client-go reads that directory from its fixed path
(rest.InClusterConfig, clientcmd's inClusterClientConfig), so the files cannot simply be
put in a temporary directory: `argv()` runs the command in a private mount namespace
(unshare(1); root, or an unprivileged user namespace) where an overlay on /run, whose
upper layer lives in the test's directory, holds them. Nothing is written outside that
directory and the mounts vanish with the process.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class CredentialPlugin:
    """The settings of tests/kubesim/credential-plugin: a file of shell assignments it sources."""

    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.calls_path = config_path.with_suffix(".calls")
        self.settings: dict[str, Any] = {}
        self._write()

    def configure(self, *, delay: float | None = None, prompt: str | None = None, fail: str | None = None,
                  token: str | None = None) -> None:
        """Set how the plugin behaves from now on (None: back to the default)."""
        self.settings = {k: v for k, v in (("delay", delay), ("prompt", prompt), ("fail", fail), ("token", token))
                         if v is not None}
        self._write()

    def _write(self) -> None:
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"config_calls={shlex.quote(str(self.calls_path))}"]
        lines += [f"config_{k}={shlex.quote(str(v))}" for k, v in self.settings.items()]
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(self.config_path)

    @property
    def calls(self) -> list[dict]:
        """One {"pid", "ppid", "time", "interactive"} per run of the plugin, oldest first."""
        try:
            return [json.loads(line) for line in self.calls_path.read_text().splitlines() if line.strip()]
        except FileNotFoundError:
            return []

    def reset_calls(self) -> None:
        self.calls_path.unlink(missing_ok=True)


@functools.lru_cache(maxsize=None)
def _unshare_args() -> tuple[str, ...] | None:
    """How to get a private mount namespace here, or None when this machine cannot."""
    if shutil.which("unshare") is None:
        return None
    for args in (("--mount", "--propagation", "private"),
                 ("--user", "--map-root-user", "--mount", "--propagation", "private")):
        probe = subprocess.run(["unshare", *args, "true"], capture_output=True)
        if probe.returncode == 0:
            return args
    return None


class InCluster:
    """A process "in a pod" of the simulated cluster, authenticated as a service account."""

    SCRIPT = r"""
set -e
sa=/var/run/secrets/kubernetes.io/serviceaccount
if [ ! -d "$sa" ]; then
    run=$(readlink -f /var/run)
    mount -t overlay kubesim-in-cluster -o "lowerdir=$run,upperdir=$KUBESIM_OVERLAY/upper,workdir=$KUBESIM_OVERLAY/work" "$run"
    mkdir -p "$sa"
fi
mount --bind "$KUBESIM_SA" "$sa"
unset KUBESIM_OVERLAY KUBESIM_SA
exec "$@"
"""

    def __init__(self, directory: Path, *, host: str, port: int, ca_pem: bytes, token: str, namespace: str,
                 base_env: Mapping[str, str]):
        self.directory = directory
        self.namespace = namespace
        self.token = token
        self.secrets = directory / "serviceaccount"
        self.secrets.mkdir(parents=True, exist_ok=True)
        (self.secrets / "token").write_text(token)
        (self.secrets / "ca.crt").write_bytes(ca_pem)
        (self.secrets / "namespace").write_text(namespace)
        self.home = directory / "home"  # no ~/.kube/config: kubectl falls back to in-cluster config
        self.home.mkdir(exist_ok=True)
        for layer in ("upper", "work"):
            (directory / "overlay" / layer).mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in base_env.items() if not k.startswith(("KUBE", "EMB_", "K8S_", "POD_"))}
        env.update({"HOME": str(self.home), "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": str(port),
                    "KUBERNETES_SERVICE_PORT_HTTPS": str(port), "KUBECACHEDIR": str(directory / "kube-cache")})
        self.env = env

    @staticmethod
    def possible() -> bool:
        """Can this machine fake the service-account path (a private mount namespace)?"""
        return _unshare_args() is not None

    def argv(self, *command: str) -> list[str]:
        args = _unshare_args()
        if args is None:
            raise RuntimeError("kubesim: no private mount namespace here (unshare --mount failed): the in-cluster "
                               f"service-account path {SA_DIR} cannot be faked without writing to it")
        return ["unshare", *args, "sh", "-c", self.SCRIPT, "kubesim-in-cluster", *command]

    def full_env(self, **extra: str) -> dict[str, str]:
        return {**self.env, "KUBESIM_OVERLAY": str(self.directory / "overlay"), "KUBESIM_SA": str(self.secrets),
                **extra}

    def run(self, *command: str, input: str | None = None, timeout: float = 60, cwd: str | os.PathLike | None = None,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run a command in the pod's environment; text output captured."""
        return subprocess.run(self.argv(*command), env={**self.full_env(), **dict(env or {})}, input=input,
                              capture_output=True, text=True, timeout=timeout, cwd=cwd)

    def kubectl(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run("kubectl", *args, **kwargs)

    def shell(self) -> str:
        """A shell line that runs a command in this environment (for docs and debugging)."""
        return " ".join(shlex.quote(a) for a in self.argv("sh"))
