"""Generate the reference parts of the docs from their sources of truth.

- docs/configuration.md, between the `BEGIN/END GENERATED: schema reference`
  markers: tables generated from the JSON Schemas in schemas/;
- docs/cli.md: the help of every emb command, as click prints it.

    python -m tests.docs.gen_reference           # exit 1 and say which file is stale
    python -m tests.docs.gen_reference --write   # rewrite the stale parts

tests/docs/test_reference.py fails when the committed docs differ from what
this produces, so the docs cannot drift from the schemas or the CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
SCHEMAS = TOP / "schemas"
CONFIG_MD = TOP / "docs" / "configuration.md"
CLI_MD = TOP / "docs" / "cli.md"
BEGIN = "<!-- BEGIN GENERATED: schema reference -->"
END = "<!-- END GENERATED: schema reference -->"

# --- schema reference ---------------------------------------------------------------------------


class SchemaDocs:
    """Walks emb.schema.json and embfile.schema.json into Markdown tables.

    Objects reached through a named `$ref` (task, component, flavor...) get a
    table of their own, linked from every place that uses them, so the shared
    definitions are documented once.
    """

    def __init__(self, schema_dir: Path):
        self.files = {p.name: json.loads(p.read_text()) for p in sorted(schema_dir.glob("*.json"))}
        self.pending: list[tuple[str, str, dict]] = []  # (title, file, schema) of named tables to write
        self.seen: set[str] = set()

    # -- $ref handling --
    def resolve(self, ref: str, current: str) -> tuple[str, str, dict]:
        """(def name, file, schema) of a $ref like `defs.schema.json#/$defs/task` or `#/$defs/plugin`."""
        file, _, pointer = ref.partition("#")
        file = file or current
        node = self.files[file]
        for part in pointer.strip("/").split("/"):
            node = node[part]
        return pointer.rsplit("/", 1)[-1], file, node

    def deref(self, schema: dict, file: str) -> tuple[dict, str, str | None]:
        """Follow `$ref` chains: (schema, file, name of the last named definition)."""
        name = None
        if not isinstance(schema, dict):  # `true`: anything goes
            return {}, file, None
        while "$ref" in schema:
            name, file, target = self.resolve(schema["$ref"], file)
            # A property's own description wins over its target's.
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            schema = merged
        return schema, file, name

    def is_table(self, schema: dict) -> bool:
        return bool(schema.get("properties"))

    def link(self, name: str, file: str, schema: dict) -> str:
        if not self.is_table(schema):  # a scalar or list definition: show it inline
            return self.type_of(schema, file)
        if name not in self.seen:
            self.seen.add(name)
            self.pending.append((name, file, schema))
        return f"[{name}](#{slug(name)})"

    # -- types --
    def type_of(self, schema: dict, file: str) -> str:
        raw = schema
        schema, file, name = self.deref(schema, file)
        if name and "$ref" in raw and self.is_table(schema):
            return self.link(name, file, schema)
        if "enum" in schema:
            return " \\| ".join(f"`{json.dumps(v)}`" if not isinstance(v, str) else f"`{v}`" for v in schema["enum"])
        if "const" in schema:
            return f"`{schema['const']}`"
        if "if" in schema and "then" in schema and "else" in schema:
            return f"{self.type_of(schema['then'], file)} or {self.type_of(schema['else'], file)}"
        for key in ("anyOf", "oneOf"):
            if key in schema and "type" not in schema:
                return " or ".join(self.type_of(s, file) for s in schema[key])
        types = schema.get("type")
        if isinstance(types, list):
            shown = [t for t in types if t != "null"]
            text = " or ".join(self._one_type(t, schema, file) for t in shown)
            return f"{text} (may be empty)" if "null" in types else text
        if types:
            return self._one_type(types, schema, file)
        return "any"

    def _one_type(self, t: str, schema: dict, file: str) -> str:
        if t == "array":
            items = schema.get("items")
            return f"list of {self.type_of(items, file)}" if isinstance(items, dict) else "list"
        if t == "object":
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and not schema.get("properties"):
                return f"map of name → {self.type_of(extra, file)}"
            if schema.get("properties"):
                return "mapping"
            return "mapping"
        if t == "string" and "pattern" in schema and schema["pattern"] != "^(/.*)?$":
            return "string"
        return {"null": "empty"}.get(t, t)

    # -- rows --
    def rows(self, schema: dict, file: str, prefix: str = "") -> list[tuple[str, str, str]]:
        schema, file, _ = self.deref(schema, file)
        required = set(schema.get("required", []))
        out = []
        for key, prop in schema.get("properties", {}).items():
            target, tfile, tname = self.deref(prop, file)
            path = f"{prefix}{key}"
            kind = self.type_of(prop, file)
            if key in required:
                kind += ", **required**"
            desc = target.get("description", "") if isinstance(target, dict) else ""
            out.append((f"`{path}`", kind, desc))
            # Inline objects (no named definition) are expanded in place: `project.name`.
            if isinstance(target, dict) and self.is_table(target) and "$ref" not in prop:
                out.extend(self.rows(target, tfile, prefix=f"{path}."))
        return out

    def table(self, schema: dict, file: str) -> list[str]:
        self.current = file
        lines = ["| key | type | description |", "|-----|------|-------------|"]
        for key, kind, desc in self.rows(schema, file):
            lines.append(f"| {key} | {kind} | {md_cell(desc)} |")
        return lines

    def notes(self, schema: dict) -> list[str]:
        """Constraints a table cannot show: one-of-required keys, allowed names."""
        out = []
        any_of = schema.get("anyOf", [])
        needs = [s["required"] for s in any_of if "required" in s]
        if needs:
            out.append("At least one of " + ", ".join(f"`{r[0]}`" for r in needs) + " is required.")
        for rule in schema.get("allOf", []):
            # plugin: `if name == X then config: $ref` -> say which config schema applies
            when = rule.get("if", {}).get("properties", {})
            then = rule.get("then", {}).get("properties", {})
            for key, cond in when.items():
                # `const: X`, or a one-value `enum: [X]` (what fastjsonschema generates correctly)
                values = [cond["const"]] if "const" in cond else cond.get("enum", [])
                if len(values) == 1:
                    for prop, sub in then.items():
                        out.append(f"With `{key}: {values[0]}`, `{prop}` is "
                                   f"{self.type_of(sub, self.current)}.")
        types = schema.get("type")
        if isinstance(types, list) and "null" in types:
            out.append("May be left empty.")
        if schema.get("additionalProperties") is False:
            out.append("Other keys are errors.")
        return out

    def markdown(self) -> str:
        parts: list[str] = []
        for title, file in ((".emb.yml", "emb.schema.json"), ("Embfile.yml", "embfile.schema.json")):
            root = self.files[file]
            parts += [f"### {title}", "", root.get("description", ""), ""]
            parts += self.table(root, file)
            parts += ["", *self.notes(root), ""]
        while self.pending:
            name, file, schema = self.pending.pop(0)
            parts += [f"### {name}", ""]
            if schema.get("description"):
                parts += [schema["description"], ""]
            parts += self.table(schema, file)
            notes = self.notes(schema)
            parts += ["", *notes, ""] if notes else [""]
        names = self.files["defs.schema.json"]["$defs"]["name"]
        parts += [
            "### Names", "",
            f"Keys of `components`, `tasks` and `flavors`. {names['description']}",
            f"Pattern: `{names['pattern']}`.", "",
        ]
        return "\n".join(line.rstrip() for line in parts).strip() + "\n"


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("\n", " ")


def slug(text: str) -> str:
    """The id Python-Markdown's toc extension gives a heading (what mkdocs links to)."""
    from markdown.extensions.toc import slugify

    return slugify(text, "-")


def schema_reference() -> str:
    return SchemaDocs(SCHEMAS).markdown()


def configuration_md() -> str:
    text = CONFIG_MD.read_text()
    head, sep, rest = text.partition(BEGIN)
    if not sep or END not in rest:
        raise SystemExit(f"{CONFIG_MD}: missing the {BEGIN} / {END} markers")
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n\n{schema_reference()}\n{END}{tail}"


# --- CLI reference ------------------------------------------------------------------------------

WIDTH = 88


def _commands(group, ctx, path):
    """(path, command, context) for every command under group, depth first, in help order."""
    import click

    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or getattr(cmd, "hidden", False):
            raise SystemExit(f"emb {' '.join(path[1:] + [name])}: command could not be loaded")
        settings = {**cmd.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
        sub = click.Context(cmd, info_name=name, parent=ctx, **settings)
        yield path + [name], cmd, sub
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, sub, path + [name])


def cli_md() -> str:
    import click

    from emb.cli.main import cli

    settings = {**cli.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    root = click.Context(cli, info_name="emb", **settings)
    lines = [
        "# CLI reference",
        "",
        "Generated from emb's own `--help` output (`python -m tests.docs.gen_reference --write`;",
        "a test fails when this page is out of date). `emb COMMAND --help` prints the same.",
        "Global options (`-C`, `--flavor`, `-v`) go before the command: `emb --flavor staging run ...`.",
        "",
        "## emb",
        "",
        "```text",
        cli.get_help(root).rstrip(),
        "```",
        "",
    ]
    for path, cmd, ctx in _commands(cli, root, ["emb"]):
        lines += [f"## {' '.join(path)}", "", "```text", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------

def generated() -> dict[Path, str]:
    return {CONFIG_MD: configuration_md(), CLI_MD: cli_md()}


def main(argv: list[str]) -> int:
    write = "--write" in argv
    stale = []
    for path, text in generated().items():
        if path.read_text() != text:
            stale.append(path)
            if write:
                path.write_text(text)
    for path in stale:
        print(f"{path.relative_to(TOP)}: {'rewritten' if write else 'out of date'}")
    return 1 if stale and not write else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
