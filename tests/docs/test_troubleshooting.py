"""docs/troubleshooting.md lists every error emb can print.

The messages are read from emb's source (tests/docs/error_messages.py): each
is reduced to its longest literal piece, which must appear on the page. A new
error in emb/ fails this test until the page explains it.
"""

from __future__ import annotations

from tests.docs.doc_examples import DOCS
from tests.docs.error_messages import messages

PAGE = DOCS / "troubleshooting.md"


def test_every_error_message_is_documented():
    text = PAGE.read_text()
    found = messages()
    missing = [f"{m.where}: {m.skeleton}  (looked for {m.key!r})" for m in found if m.key not in text]
    assert not missing, "docs/troubleshooting.md does not explain:\n" + "\n".join(missing)


def test_the_message_scan_finds_errors_from_every_layer():
    """Guards the scanner: an empty or partial scan would make the test above pass vacuously."""
    found = messages()
    files = {m.where.split(":")[0] for m in found}
    assert len(found) >= 60
    for part in ("emb/config/", "emb/kube/", "emb/docker/", "emb/planner.py", "emb/executors/",
                 "emb/config/validate.py"):
        assert any(f.startswith(part) for f in files), part
    assert any("asks for confirmation, but its input ended without an answer" in m.key for m in found)
    assert any("unknown key '{…}'" in m.skeleton for m in found)
    assert any("no Ready pod for component" in m.skeleton for m in found)
