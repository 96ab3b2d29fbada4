"""`confirm:` texts: the task's vars (then the environment) expanded in one pass."""

from __future__ import annotations

import pytest

from emb.flow import confirm
from emb.model import Confirm
from tests.builders import task


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Wipe $ENV?", "Wipe prod?"),
        ("Wipe ${ENV}!", "Wipe prod!"),
        ("from env: $FROM_ENV", "from env: outside"),
        ("unknown $NOPE and ${NOPE} stay", "unknown $NOPE and ${NOPE} stay"),
        ("price: 5$", "price: 5$"),
        ("no second pass: $TRICKY", "no second pass: $ENV"),
    ],
)
def test_confirm_expansion(text, expected):
    assert confirm.expand(text, {"ENV": "prod", "TRICKY": "$ENV"}, {"FROM_ENV": "outside"}) == expected


def test_confirm_texts_default_to_yes():
    t = task("t", script="true", vars={"E": "qa"}, confirm=Confirm("Go to $E?"))
    assert confirm.expanded(t) == ("Go to qa?", "yes")
    t = task("t", script="true", vars={"E": "qa"}, confirm=Confirm("Go?", "${E}-now"))
    assert confirm.expanded(t) == ("Go?", "qa-now")
