"""`confirm:` prompts (their texts are expanded by emb.config.values: tests/unit/config/test_expand.py)."""

from __future__ import annotations

from emb.flow import confirm
from emb.model import Confirm
from tests.builders import task


def test_confirm_texts_default_to_yes():
    t = task("t", script="true", vars={"E": "qa"}, confirm=Confirm("Go to qa?"))
    assert confirm.expanded(t) == ("Go to qa?", "yes")
    t = task("t", script="true", vars={"E": "qa"}, confirm=Confirm("Go?", "qa-now"))
    assert confirm.expanded(t) == ("Go?", "qa-now")
