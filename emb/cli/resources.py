"""`emb resources ...` (SPEC §6).

Placeholder group on branch `lifecycle`, holding only `publish`: the
resources branch owns this module (listing, build); merging keeps its group
and adds `resources.add_command(publish)`.
"""

from __future__ import annotations

import click

from emb.cli.publish import publish


@click.group("resources")
def resources() -> None:
    """The resources emb builds and publishes (images, files)."""


resources.add_command(publish)
