"""The documentation builds with `mkdocs build --strict`: no warning of any kind
(broken links and anchors, pages missing from the nav, unknown nav entries)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict_has_no_warnings(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=TOP, capture_output=True, text=True, timeout=120,
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert done.returncode == 0 and not warnings, done.stderr
    # Every page of the nav was rendered.
    for page in ("getting-started", "configuration", "tasks", "kubernetes", "flavors",
                 "scripting", "cli", "troubleshooting", "performance"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page
