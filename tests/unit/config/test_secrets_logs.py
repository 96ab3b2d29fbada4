"""A task's log never keeps a secret it printed: emb.redact.mask_file, run after each task."""

from __future__ import annotations

import os
import random

import pytest

from emb import redact


@pytest.fixture(autouse=True)
def clean():
    redact.forget_all()
    yield
    redact.forget_all()


def test_masks_every_value_across_chunk_boundaries_and_keeps_the_mode(tmp_path):
    redact.register("s3cret-value")
    redact.register("pw")
    rng = random.Random(7)
    pieces = [b"x", b"s3cret-value", b"pw", b"\n", b"s3cret-valu", b"p", b"w"]
    text = b"".join(rng.choice(pieces) for _ in range(1_500_000))  # several 1 MiB chunks
    log = tmp_path / "run.log"
    log.write_bytes(text)
    os.chmod(log, 0o600)
    assert redact.mask_file(log)
    assert log.read_bytes() == text.replace(b"s3cret-value", b"***").replace(b"pw", b"***")
    assert os.stat(log).st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [log]


def test_nothing_registered_or_nothing_found_leaves_the_file_alone(tmp_path):
    log = tmp_path / "run.log"
    log.write_bytes(b"plain output\n")
    before = os.stat(log).st_ino
    assert not redact.mask_file(log)
    redact.register("absent")
    assert not redact.mask_file(log)
    assert os.stat(log).st_ino == before and log.read_bytes() == b"plain output\n"


def test_a_missing_log_is_no_error(tmp_path):
    redact.register("x-secret")
    assert not redact.mask_file(tmp_path / "never-written.log")
    assert list(tmp_path.iterdir()) == []
