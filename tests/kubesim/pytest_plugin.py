"""pytest fixtures for the Kubernetes API simulator (see tests/kubesim/README.md).

`kubesim`: a fresh simulator per test (about 50 ms to start), stopped afterwards.
`kubesim_examples`: the same, loaded with tests/kubesim/examples/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent / "examples"


@pytest.fixture
def kubesim(tmp_path):
    from tests.kubesim.simulator import KubeSim

    sim = KubeSim.start(tmp_path / "kubesim")
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def kubesim_examples(kubesim):
    kubesim.load_manifests(EXAMPLES)
    return kubesim
