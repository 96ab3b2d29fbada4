"""What the build views print: prefixed lines off a terminal; on a terminal, status
lines redrawn in place that fold into a summary, and a failed build's output."""

from __future__ import annotations

import io
import re

from emb.flow.buildview import LiveView, PlainView
from emb.resources import Decision

ESC = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Screen(io.StringIO):
    """A StringIO played back as a terminal would: `ESC[nF` moves up n lines, `ESC[J`
    clears from there down (the view always writes whole lines)."""

    def lines(self) -> list[str]:
        lines: list[str] = []
        cursor = 0
        for part in re.split(r"(\x1b\[\d*F|\x1b\[J|\r)", self.getvalue()):
            if part.startswith("\x1b[") and part.endswith("F"):
                cursor = len(lines) - int(part[2:-1] or 1)
            elif part == "\x1b[J":
                del lines[cursor:]
            elif part and part != "\r":
                lines.extend(ESC.sub("", part).split("\n")[:-1])
                cursor = len(lines)
        return lines


def test_plain_view_prefixes_each_line_and_drops_colour_codes():
    stream = io.StringIO()
    view = PlainView(stream)
    view.started("api:image", Decision(True, "image missing"), "docker build ...")
    view.line("api:image", b"\x1b[91mStep 1/2 : FROM scratch\x1b[0m\n")
    view.done("api:image", None, 1.5, None)
    assert stream.getvalue().splitlines() == [
        "emb: building api:image (image missing)", "api:image | Step 1/2 : FROM scratch", "emb: api:image built in 1.5s"]


def test_live_view_keeps_one_status_line_per_build_then_folds_it(tmp_path):
    screen = Screen()
    view = LiveView(screen)
    view.started("api:image", Decision(True, "image missing"), "")
    view.started("web:image", Decision(True, "web/index.html changed"), "")
    view.line("api:image", b"Step 2/5 : COPY . /app\n")
    view.tick()
    shown = screen.lines()
    assert shown[:2] == ["emb: building api:image (image missing)", "emb: building web:image (web/index.html changed)"]
    assert len(shown) == 4 and "api:image" in shown[2] and shown[2].endswith("Step 2/5 : COPY . /app")
    assert "web:image" in shown[3] and shown[3].endswith("web/index.html changed")

    log = tmp_path / "web.log"
    log.write_text("Step 1/2 : FROM scratch\nthe build broke\n")
    view.done("api:image", None, 2.0, None)
    view.failed("web:image", "docker build of acme/web failed: the build broke", log)
    view.close()
    assert screen.lines()[2:] == [
        "emb: api:image built in 2.0s",
        "web:image | Step 1/2 : FROM scratch",
        "web:image | the build broke",
        f"emb: web:image failed: docker build of acme/web failed: the build broke (log: {log})",
    ]
