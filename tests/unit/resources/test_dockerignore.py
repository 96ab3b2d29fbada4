"""The .dockerignore rules, one test per rule; each would fail if the rule were implemented otherwise.

`excluded(text, path)` asks the question the way docker's walkers do: from
the top folder down, each level handing its per-pattern results to the next.
"""

from __future__ import annotations

import pytest

from emb.errors import ConfigError
from emb.resources._dockerignore import (
    EXACT,
    PREFIX,
    REGEX,
    SUFFIX,
    Matcher,
    compile_patterns,
    folder_rule,
    go_clean,
    matches_one_parent,
    matches_or_parent_matches,
    matches_with_parent,
    read_ignore_file,
)


def patterns(text: str):
    return compile_patterns(read_ignore_file(text.encode()))


def excluded(text: str, path: str) -> bool:
    compiled = patterns(text)
    parent = None
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        result, parent = matches_with_parent(compiled, "/".join(parts[:depth]), parent)
    return result


# -- reading the file ---------------------------------------------------------------

def test_a_comment_is_a_hash_in_column_one_only():
    assert read_ignore_file(b"#x\n # y\n") == ["# y"]
    assert not excluded("#x\n", "#x")
    assert excluded(" # y\n", "# y")


def test_blank_and_whitespace_only_lines_are_skipped():
    assert read_ignore_file(b"a\n\n   \n\t\nb\n") == ["a", "b"]


def test_leading_and_trailing_whitespace_is_trimmed():
    assert read_ignore_file(b"  a.txt \t\n") == ["a.txt"]
    assert excluded("  a.txt \t\n", "a.txt")


def test_whitespace_after_the_bang_is_trimmed_too():
    assert read_ignore_file(b"!  keep\n") == ["!keep"]


def test_patterns_are_cleaned_like_filepath_clean():
    assert read_ignore_file(b"./a//b/../c/\n") == ["a/c"]
    assert excluded("./a//b/../c/\n", "a/c")


def test_a_leading_slash_is_dropped():
    assert read_ignore_file(b"/tmp\n!/tmp/keep\n") == ["tmp", "!tmp/keep"]
    assert excluded("/tmp\n", "tmp") and not excluded("/tmp\n", "sub/tmp")


def test_a_utf8_bom_is_dropped_from_the_first_line():
    assert read_ignore_file(b"\xef\xbb\xbfa\n") == ["a"]


def test_crlf_line_ends_are_accepted():
    assert read_ignore_file(b"a\r\nb\r\n") == ["a", "b"]


def test_a_last_line_without_newline_counts():
    assert read_ignore_file(b"a\nb") == ["a", "b"]


def test_go_clean_collapses_a_double_leading_slash():
    assert go_clean("//a") == "/a"  # posixpath.normpath would keep "//a"
    assert go_clean("") == "."


# -- what a pattern matches ---------------------------------------------------------

def test_star_does_not_cross_a_slash():
    assert excluded("*.log\n", "a.log")
    assert not excluded("*.log\n", "sub/a.log")


def test_question_mark_is_one_character_but_not_a_slash():
    assert excluded("?.txt\n", "a.txt")
    assert not excluded("?.txt\n", "ab.txt")
    assert not excluded("a?b\n", "a/b")


def test_double_star_is_any_number_of_folders_even_none():
    for path in ("a/b", "a/x/b", "a/x/y/z/b"):
        assert excluded("a/**/b\n", path), path
    assert not excluded("a/**/b\n", "a/xb")


def test_leading_double_star_also_matches_at_the_top():
    assert excluded("**/node_modules\n", "node_modules")
    assert excluded("**/node_modules\n", "web/app/node_modules/x.js")
    assert not excluded("**/node_modules\n", "web/node_modulesx")


def test_leading_double_star_is_a_plain_suffix_match():
    # patternmatcher's suffix shortcut: "**.tmp" matches anything ending in ".tmp"
    compiled = patterns("**.tmp\n")
    assert compiled[0].kind == SUFFIX
    assert excluded("**.tmp\n", "x.tmp") and excluded("**.tmp\n", "a/b/y.tmp")
    assert not excluded("**.tmp\n", "xtmp")


def test_trailing_double_star_matches_below_the_folder_not_the_folder():
    compiled = patterns("cache/**\n")
    assert compiled[0].kind == PREFIX
    assert excluded("cache/**\n", "cache/a/b")
    assert not excluded("cache/**\n", "cache")


def test_a_plain_name_is_an_exact_match():
    compiled = patterns("a.b\n")
    assert compiled[0].kind == EXACT
    assert excluded("a.b\n", "a.b") and not excluded("a.b\n", "axb")


def test_character_class_and_range():
    assert excluded("file[0-9].txt\n", "file7.txt")
    assert not excluded("file[0-9].txt\n", "filea.txt")


def test_caret_negates_a_class_but_bang_is_a_member():
    assert not excluded("[^b]y\n", "by") and excluded("[^b]y\n", "ay")
    # Go's filepath.Match has no [!...]: "!" and "a" are both members
    assert excluded("[!a]x\n", "ax") and excluded("[!a]x\n", "!x")
    assert not excluded("[!a]x\n", "bx")


def test_posix_class_inside_brackets():
    assert excluded("v[[:digit:]]\n", "v1") and not excluded("v[[:digit:]]\n", "va")


def test_backslash_escapes_the_next_character():
    assert excluded("\\*literal\n", "*literal")
    assert not excluded("\\*literal\n", "xliteral")
    assert excluded("\\!bang\n", "!bang")


def test_regex_characters_are_literal():
    for name in ("file(1).txt", "a+b", "x|y", "c{2}", "$HOME"):
        assert excluded(name + "\n", name), name
    assert not excluded("file(1).txt\n", "file1.txt")
    assert not excluded("a+b\n", "aab")


def test_a_caret_outside_a_class_anchors_as_in_go():
    # patternmatcher leaves "^" to the regexp engine: in mid-pattern it can never match
    assert not excluded("a^b*\n", "a^bc")


def test_a_pattern_matching_a_folder_excludes_what_is_below():
    assert excluded("build\n", "build/x/y.o")
    assert not excluded("build\n", "src/build.c")


def test_later_lines_win():
    assert not excluded("*.md\n!README.md\n", "README.md")
    assert excluded("!README.md\n*.md\n", "README.md")


def test_an_exception_re_includes_below_an_excluded_folder():
    assert not excluded("docs\n!docs/keep.md\n", "docs/keep.md")
    assert excluded("docs\n!docs/keep.md\n", "docs/drop.md")


def test_a_pattern_skipped_for_the_folder_is_not_inherited():
    # For folder d, the second "d" could not change the answer, so it was not
    # evaluated; d/f then re-tests it against "d/f" only, and d/f is sent.
    assert not excluded("d\n!d/f\nd\n", "d/f")
    assert excluded("d\n!d/f\nd\n", "d/g")
    # asked about one path on its own, docker's other matcher says excluded
    assert matches_or_parent_matches(patterns("d\n!d/f\nd\n"), "d/f")


def test_the_deprecated_matcher_tests_one_ancestor_only():
    compiled = patterns("**/b\n")  # two parts: only "x/y" is tested for x/y/b/Dockerfile
    assert not matches_one_parent(compiled, "x/y/b/Dockerfile")
    assert matches_or_parent_matches(compiled, "x/y/b/Dockerfile")


def test_the_context_itself_is_never_excluded():
    assert not matches_or_parent_matches(patterns("*\n"), ".")


# -- bad patterns ------------------------------------------------------------------

@pytest.mark.parametrize("line, problem", [
    ("!", "illegal exclusion"),
    ("a[", "character class"),
    ("a[]", "character class"),
    ("[a-]", "character range"),
    ("x\\", "backslash"),
])
def test_a_bad_pattern_is_a_config_error_naming_it(line, problem):
    with pytest.raises(ConfigError) as raised:
        compile_patterns(read_ignore_file(line.encode() + b"\n"), source="ctx/.dockerignore")
    assert raised.value.message.startswith("ctx/.dockerignore: ")
    assert problem in raised.value.message
    assert raised.value.hints


def test_an_inverted_range_is_a_config_error():
    with pytest.raises(ConfigError):
        compile_patterns(["[z-a]"])


# -- the walkers' rules for entering excluded folders ------------------------------

def test_buildkit_enters_every_excluded_folder_when_an_exception_has_a_glob():
    compiled = patterns("vendor\n!vendor/**/*.go\n")
    assert folder_rule(compiled, buildkit=True)("vendor/lib")
    assert not folder_rule(compiled, buildkit=False)("vendor/lib")  # legacy: text prefix only
    assert folder_rule(compiled, buildkit=False)("vendor")


def test_buildkit_ignores_a_trailing_glob_when_comparing_prefixes():
    compiled = patterns("a\n!a/b/**\n")
    assert folder_rule(compiled, buildkit=True)("a/b")
    assert not folder_rule(compiled, buildkit=True)("a/c")


def test_no_exception_no_entering():
    assert not folder_rule(patterns("a\n"), buildkit=True)("a")


# -- the walker's shortcut agrees with the full rule ------------------------------

@pytest.mark.parametrize("text", [
    "*.log\n!important.log\nbuild\n",
    "d\n!d/f\nd\n",
    "**\n!src\n!src/**\n",
    "a/**/z\n**.tmp\n!**/keep\ncache/**\n",
])
def test_matcher_shortcut_gives_the_same_answers(text):
    compiled = patterns(text)
    matcher = Matcher(compiled)
    paths = ["d", "d/f", "d/g", "src", "src/a", "x.log", "important.log", "build", "build/o",
             "a", "a/b", "a/b/z", "k.tmp", "p/keep", "cache", "cache/c"]
    for path in paths:
        parts = path.split("/")
        full = fast = None
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            full_result, full = matches_with_parent(compiled, prefix, full)
            fast_result, fast = matcher.child(prefix, fast)
            assert fast_result == full_result, prefix
            assert fast == full, prefix


def test_compiled_kinds():
    kinds = [p.kind for p in patterns("a\na/**\n**/a\na*\n")]
    assert kinds == [EXACT, PREFIX, SUFFIX, REGEX]
