"""docs/reference/cli.md documents every command, its options and the exit codes."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ileti.cli import EXIT_CODES, build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md"
GLOBAL = {"-h", "--help", "--verbose", "--config", "--set", "--timeout", "--total-timeout"}
_HEADING = re.compile(r"^(#{1,6}) (.*)$", re.MULTILINE)


def commands() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every runnable command, nested ones by their full name (``config show``)."""

    def walk(
        parser: argparse.ArgumentParser, prefix: str
    ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not nested and prefix:
            yield prefix, parser
        for action in nested:
            for name, sub in action.choices.items():
                yield from walk(sub, f"{prefix} {name}".strip())

    yield from walk(build_parser(), "")


def sections() -> dict[str, str]:
    """Each ``ileti COMMAND`` heading's section text."""
    text = DOC.read_text(encoding="utf-8")
    found = {}
    heads = list(_HEADING.finditer(text))
    for i, head in enumerate(heads):
        match = re.fullmatch(r"`ileti ([a-z -]+)`", head.group(2).strip())
        if match:
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            found[match.group(1)] = text[head.end() : end]
    return found


COMMANDS = dict(commands())


def test_the_parser_has_the_commands_of_the_issue() -> None:
    assert set(COMMANDS) >= {
        "providers", "send", "send-multi", "report", "balance", "senders",
        "segments", "emulate", "config show", "demo",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_a_heading_with_its_options_and_an_example(name: str) -> None:
    documented = sections()
    assert name in documented, f"docs/reference/cli.md has no '### `ileti {name}`' heading"
    section = documented[name]
    parser = COMMANDS[name]
    for action in parser._actions:
        flags = [f for f in action.option_strings if f.startswith("--")]
        if not flags or set(flags) & GLOBAL:
            continue
        assert (
            f"`{flags[0]}" in section or f"{flags[0]}`" in section or f"{flags[0]} " in section
        ), f"{flags[0]} of `ileti {name}` is not documented"
    assert f"ileti {name}" in section.split("```sh", 1)[-1], f"no example for `ileti {name}`"


def test_exit_codes_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d) \| (.*) \|$", table, re.MULTILINE))
    assert sorted(int(code) for code in rows) == sorted(EXIT_CODES)
    for code, meaning in EXIT_CODES.items():
        first_words = meaning.split(":")[0]
        assert first_words.lower() in rows[str(code)].lower(), (code, rows[str(code)])


def test_global_options_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8").split("## Global options", 1)[1]
    for flag in ("--verbose", "--config", "--set", "--timeout"):
        assert f"`{flag}" in text
