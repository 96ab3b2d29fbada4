"""A self-signed certificate for 127.0.0.1, made with the openssl CLI.

The simulator must speak HTTPS: kubectl (clientcmd) only sends a kubeconfig user's
token or client certificate to servers it reaches over TLS. The kubeconfig carries
the certificate as its certificate-authority-data, so no verification is skipped.
One certificate per process is enough (an EC key: about 10 ms to make).
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_cached: tuple[Path, Path] | None = None


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write cert.pem and key.pem into directory; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    if shutil.which("openssl") is None:
        raise RuntimeError("kubesim needs the openssl CLI to make its TLS certificate (apt-get install openssl)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj", "/CN=kubesim",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
         "-addext", "extendedKeyUsage=serverAuth"],
        check=True, capture_output=True,
    )
    return cert, key


def shared_certificate() -> tuple[Path, Path]:
    """The process-wide certificate (made on first use, removed at exit)."""
    global _cached
    with _lock:
        if _cached is None or not _cached[0].exists():
            directory = Path(tempfile.mkdtemp(prefix="kubesim-tls-"))
            atexit.register(shutil.rmtree, directory, True)
            _cached = make_certificate(directory)
        return _cached


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
