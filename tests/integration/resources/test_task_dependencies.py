"""`emb run`: a task's `dependencies` are built before it runs (file resources, real emb)."""

from __future__ import annotations

from tests.helpers import run_emb, write_tree

EMB_YML = """\
project: {name: deps}
components:
  api:
    rootDir: api
    resources:
      fixture.txt:
        type: file
        params: {path: .emb/fixture.txt, content: "from the fixture"}
      broken:
        type: file
        params: {script: "exit 5"}
    tasks:
      show:
        dependencies: [fixture.txt]
        script: cat .emb/fixture.txt
      fails:
        dependencies: [api:broken]
        script: echo never
tasks:
  top:
    dependencies: [api:fixture.txt]
    pre: [api:show]
    script: echo top
"""


def test_dependencies_are_built_first_and_a_failed_one_stops_the_run(tmp_path):
    write_tree(tmp_path, {".emb.yml": EMB_YML, "api/README": "api\n"})
    done = run_emb("-C", str(tmp_path), "run", "top")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "from the fixturetop\n"
    assert done.stderr.index("api:fixture.txt built") < done.stderr.index("running api:show")

    done = run_emb("-C", str(tmp_path), "run", "api:show")
    assert done.returncode == 0 and "api:fixture.txt: up to date" in done.stderr

    done = run_emb("-C", str(tmp_path), "run", "api:fails")
    assert done.returncode == 1
    assert "never" not in done.stdout
    assert "emb: error: failed to build: api:broken" in done.stderr
