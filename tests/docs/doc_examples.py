"""Find and run the shell examples of docs/*.md.

Convention (docs/ follows it; see tests/docs/README.md):

- A ```console block is an example to execute. Lines starting with `$ ` are
  commands (continued by a trailing backslash, or on lines starting with
  `> `, the shell's continuation prompt); the lines after a command, up to
  the next command, are its expected output.
- Every shown output line must appear in the actual output (stdout and stderr
  together, as a terminal shows them), in the order shown. A line `...`
  stands for any number of lines; `...` inside a line matches any text.
- A command must exit 0, unless the next command is `echo $?`, whose shown
  output is then the expected exit status.
- The block runs as one bash script (so `cd` and `export` carry over) from a
  fresh copy of examples/production-ready, with stdin closed.
- ```sh blocks are illustrations (installation steps, CI snippets, commands
  for a cluster you have): they are not executed.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
DOCS = TOP / "docs"
EXAMPLE = TOP / "examples" / "production-ready"

FENCE = re.compile(r"^```(\S*)\s*$")
MARK = "@@emb-doc-example"


@dataclass
class Command:
    text: str  # the command as shown, continuation lines joined
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    page: str  # e.g. "tasks.md"
    line: int  # line of the opening fence (1-based)
    commands: list[Command]

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def source(self) -> str:
        return "\n".join(c.text for c in self.commands)

    def uses(self, *words: str) -> bool:
        return any(re.search(rf"(^|\s){re.escape(w)}(\s|$)", self.source, re.M) for w in words)

    @property
    def needs_kubernetes(self) -> bool:
        text = self.source
        return ("kubernetes" in text or "kubectl" in text or "--flavor" in text
                or "worker:queue-stats" in text or "EMB_FLAVOR" in text)

    @property
    def needs_docker(self) -> bool:
        """Uses docker itself, `emb up`, or shows a task running on the container executor."""
        shows_container = any("(container, compose service" in line
                              for c in self.commands for line in c.expected)
        return self.uses("up", "docker") or shows_container


def parse(path: Path) -> list[Block]:
    """The ```console blocks of one Markdown page."""
    blocks: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1  # closing fence
        if lang == "console":
            blocks.append(Block(path.name, start + 1, _commands(body, path, start + 1)))
    return blocks


def _commands(body: list[str], path: Path, line: int) -> list[Command]:
    commands: list[Command] = []
    continuing = False
    for text in body:
        if continuing:
            commands[-1].text += "\n" + text
            continuing = text.endswith("\\")
        elif text.startswith("> ") and commands and not commands[-1].expected:
            commands[-1].text += "\n" + text[2:]  # the shell's PS2 prompt: the command goes on
        elif text.startswith("$ "):
            commands.append(Command(text[2:]))
            continuing = text.endswith("\\")
        elif commands:
            commands[-1].expected.append(text.rstrip())
        elif text.strip():
            raise ValueError(f"{path.name}:{line}: console block starts with output, not a `$ ` command")
    if not commands:
        raise ValueError(f"{path.name}:{line}: console block without any `$ ` command")
    return commands


def all_blocks() -> list[Block]:
    return [b for page in sorted(DOCS.glob("*.md")) for b in parse(page)]


def script(block: Block) -> str:
    """One bash script running every command, with markers that split the output."""
    out = ["set -o pipefail", "__rc=0"]
    for n, cmd in enumerate(block.commands):
        out.append(f"printf '\\n{MARK} {n}@@\\n'")
        out.append(f"(exit $__rc); {cmd.text}")  # `echo $?` sees the previous status
        out.append(f"__rc=$?; printf '\\n{MARK} rc %s@@\\n' \"$__rc\"")
    return "\n".join(out) + "\n"


@dataclass
class Outcome:
    output: str
    rc: int


def split(output: str, count: int) -> list[Outcome]:
    results: list[Outcome] = []
    pattern = re.compile(rf"\n?{MARK} (\d+)@@\n(.*?)\n?{MARK} rc (\d+)@@\n", re.S)
    for m in pattern.finditer(output):
        results.append(Outcome(m.group(2), int(m.group(3))))
    if len(results) != count:
        raise AssertionError(f"ran {len(results)} of {count} commands; output:\n{output}")
    return results


def _line_matches(expected: str, actual: str) -> bool:
    if "..." not in expected:
        return expected == actual.rstrip()
    parts = [re.escape(p) for p in expected.split("...")]
    return re.fullmatch(".*".join(parts), actual.rstrip()) is not None


def check_output(expected: list[str], actual: str) -> str | None:
    """None if every expected line is found in order; else what is missing."""
    lines = [line.rstrip() for line in actual.splitlines()]
    pos = 0
    for want in expected:
        if want.strip() == "..." or not want.strip():
            continue
        while pos < len(lines) and not _line_matches(want, lines[pos]):
            pos += 1
        if pos == len(lines):
            return want
        pos += 1
    return None


def verify(block: Block, results: list[Outcome]) -> list[str]:
    """Problems found (empty when the block's output and exit codes are as documented)."""
    problems = []
    for n, (cmd, res) in enumerate(zip(block.commands, results)):
        next_is_status = n + 1 < len(block.commands) and block.commands[n + 1].text.strip() == "echo $?"
        if res.rc != 0 and not next_is_status:
            problems.append(f"`{cmd.text}` exited {res.rc}; output:\n{res.output}")
            continue
        missing = check_output(cmd.expected, res.output)
        if missing is not None:
            problems.append(f"`{cmd.text}`: expected line not found: {missing!r}\nactual output:\n{res.output}")
    return problems


def run_block(block: Block, cwd: Path, env: dict[str, str], timeout: float = 180) -> list[Outcome]:
    proc = subprocess.run(
        ["bash", "-c", script(block)], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )
    return split(proc.stdout, len(block.commands))


def shown(block: Block) -> str:
    return "\n".join("$ " + c.text + "".join("\n" + e for e in c.expected) for c in block.commands)



