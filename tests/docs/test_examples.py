"""Every fenced Python and shell example in the README and in docs/ runs.

Pages are found when the tests are collected (``README.md``, the README of
every distribution and every ``docs/**/*.md``), so a page added later is
checked without touching this file. The conventions (documented in
docs/guide/testing.md, "Examples in the documentation"):

- Every fence names its language. ``python`` blocks of a page run in order in
  one interpreter, like a session following the page; a ``test_*`` function a
  block defines is called too (a block whose tests take pytest fixtures runs
  as a test file under pytest); a block of ``>>>`` lines is a doctest (its
  output is compared). ``sh`` blocks each run in ``bash -eu -o
  pipefail``, in order, in one temporary folder per page (``HOME`` too);
  ``console`` blocks run their ``$ `` lines. Other languages (``toml``,
  ``json``, ``text`` ...) are not examples.
- Each page runs against every installed provider's emulator, started as
  ``ileti emulate P --sender FIRMA`` starts it, with its variables exported
  and its clock at 60x real time.
- ``<!-- example: skip REASON -->`` on the line before a fence: not run; the
  reason is required.
- ``<!-- example: setup`` ... ``-->`` before a fence: hidden code in the same
  language, run just before the block (to create a file the example reads).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from ileti.cli.emulate import ClockFollower
from ileti.emulation import VirtualClock
from ileti.host import available_providers
from ileti.testing import ServedEmulator, serve_emulator

ROOT = Path(__file__).resolve().parents[2]
#: the sender name the examples use, approved as ``ileti emulate P --sender FIRMA`` does
SENDER = "FIRMA"
PYTHON = {"python", "py"}
SHELL = {"sh", "bash", "shell", "console"}
#: fenced languages that are not examples to run
NOT_CODE = {"text", "toml", "json", "xml", "yaml", "ini", "csv", "jsonl", "markdown", "md"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<lang>[^\s`]*)")
_ATTR_LANG = re.compile(r"\s*\{\s*\.(?P<lang>[\w-]+)[^}]*\}\s*$")
_SNIPPET = re.compile(r'--8<-- "[\w./-]+"')
_SKIP = re.compile(r"^\s*<!--\s*example:\s*skip\b(?P<reason>.*?)-->\s*$")
#: a test function that takes arguments: pytest fixtures
_TAKES_FIXTURES = re.compile(r"^def test_\w*\(\s*\w", re.MULTILINE)
_SETUP = re.compile(r"^\s*<!--\s*example:\s*setup\s*$")


class ExampleError(Exception):
    """A page breaks the conventions (a fence without a language, a skip without a reason)."""


@attrs.frozen
class Example:
    page: str
    line: int  # 1-based line of the first code line
    lang: str
    code: str
    setup: str = ""
    skip: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """The README, each distribution's README (its page on a package index) and docs/."""
    readmes = [*ROOT.glob("*/README.md"), *ROOT.glob("plugins/*/README.md")]
    # not the READMEs of tools' folders (.pytest_cache, a .venv's packages)
    readmes = [r for r in readmes if not r.relative_to(ROOT).parts[0].startswith(".")]
    return [ROOT / "README.md", *sorted(readmes), *sorted((ROOT / "docs").rglob("*.md"))]


def examples(path: Path) -> list[Example]:
    """The fenced blocks of a page with their markers, checking the conventions."""
    page = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    skip: str | None = None
    setup: list[str] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := _SKIP.match(line):
            skip = m["reason"].strip(" :—-")
            if not skip:
                raise ExampleError(f"{page}:{i + 1}: 'example: skip' needs a reason")
            i += 1
            continue
        if _SETUP.match(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->"), None)
            if end is None:
                raise ExampleError(f"{page}:{i + 1}: 'example: setup' is not closed by '-->'")
            setup = lines[i + 1 : end]
            i = end + 1
            continue
        m = _FENCE.match(line)
        if not m:
            if line.strip() and (skip is not None or setup is not None):
                raise ExampleError(f"{page}:{i + 1}: an example marker must precede a fence")
            i += 1
            continue
        indent, fence, lang = m["indent"], m["fence"], m["lang"].lower()
        if not lang and (attrs := _ATTR_LANG.match(line[m.end() :])):
            lang = attrs["lang"].lower()  # ``` { .python }: the attribute form
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip() == fence),
            None,
        )
        if end is None:
            raise ExampleError(f"{page}:{i + 1}: unclosed fence")
        if not lang:
            raise ExampleError(
                f"{page}:{i + 1}: a fence without a language; name it (python, sh, console, "
                "text, toml ...) so examples cannot escape the tests"
            )
        body = "\n".join(ln.removeprefix(indent) for ln in lines[i + 1 : end])
        if (
            skip is None
            and body.strip()
            and all(_SNIPPET.fullmatch(ln.strip()) for ln in body.splitlines() if ln.strip())
        ):
            # a whole program included from docs/examples (pymdownx.snippets)
            skip = "included from docs/examples; tests/docs/test_snippet_examples.py runs it"
        if lang in PYTHON or lang in SHELL:
            found.append(Example(page, i + 2, lang, body, "\n".join(setup or []), skip))
        elif lang not in NOT_CODE:
            raise ExampleError(f"{page}:{i + 1}: unknown example language {lang!r}")
        elif skip is not None or setup is not None:
            raise ExampleError(f"{page}:{i + 1}: {lang!r} blocks do not run; drop the marker")
        skip, setup = None, None
        i = end + 1
    return found


def shell_code(example: Example) -> str:
    if example.lang != "console":
        return example.code
    commands = [ln[2:] for ln in example.code.splitlines() if ln.startswith("$ ")]
    if not commands:
        raise ExampleError(f"{example.where}: a console block without '$ ' commands")
    return "\n".join(commands)


# the interpreter that runs a page's Python blocks: one block per line of
# standard input, one JSON answer per block on the file descriptor given
_DRIVER = textwrap.dedent(
    """
    import doctest, json, os, sys, traceback
    answers = os.fdopen(int(sys.argv[1]), "w")
    namespace = {"__name__": "__main__"}
    for line in sys.stdin:
        block = json.loads(line)
        try:
            if block["code"].lstrip().startswith(">>>"):  # a session: compare the output
                test = doctest.DocTestParser().get_doctest(
                    block["code"], namespace, block["page"], block["page"], block["line"] - 1
                )
                flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
                runner, report = doctest.DocTestRunner(optionflags=flags), []
                runner.run(test, out=report.append, clear_globs=False)
                if runner.failures:
                    raise AssertionError("".join(report))
                answers.write(json.dumps({"ok": True}) + "\\n")
                answers.flush()
                continue
            code = compile("\\n" * (block["line"] - 1) + block["code"], block["page"], "exec")
            before = dict(namespace)
            exec(code, namespace)
            for name, value in list(namespace.items()):
                if name.startswith("test_") and callable(value) and before.get(name) is not value:
                    value()
            answers.write(json.dumps({"ok": True}) + "\\n")
        except BaseException:
            answers.write(json.dumps({"ok": False, "error": traceback.format_exc()}) + "\\n")
        answers.flush()
    """
)


class PageRunner:
    """Runs a page's examples, in order, against emulators on loopback."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self._python: subprocess.Popen[str] | None = None
        self._answers: int | None = None
        self._count = 0

    def run(self, example: Example) -> None:
        if example.lang in PYTHON and _TAKES_FIXTURES.search(example.code):
            self._run_pytest(example)
        elif example.lang in PYTHON:
            self._run_python(example)
        else:
            self._run_shell(example)

    def _run_pytest(self, example: Example) -> None:
        """A block of tests that take pytest fixtures runs as a test file."""
        self._count += 1
        path = self.folder / f"test_docs_example_{self._count}.py"
        path.write_text("\n\n".join(filter(None, [example.setup, example.code])), "utf-8")
        self._command(
            example, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path.name]
        )

    def _run_shell(self, example: Example) -> None:
        script = "\n".join(filter(None, [example.setup, shell_code(example)]))
        self._command(example, ["bash", "-eu", "-o", "pipefail", "-c", script])

    def _command(self, example: Example, argv: list[str]) -> None:
        done = subprocess.run(
            argv,
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, (
            f"{example.where}: the example exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )

    def _run_python(self, example: Example) -> None:
        if self._python is None:
            read, write = os.pipe()
            self._python = subprocess.Popen(
                [sys.executable, "-c", _DRIVER, str(write)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=self.folder,
                env=self.env,
                text=True,
                pass_fds=(write,),
            )
            os.close(write)
            self._answers = read
        assert self._python.stdin is not None
        assert self._answers is not None
        for code, line in ((example.setup, example.line), (example.code, example.line)):
            if not code:
                continue
            block = {"page": example.page, "line": line, "code": code}
            self._python.stdin.write(json.dumps(block) + "\n")
            self._python.stdin.flush()
            answer = json.loads(_read_line(self._answers))
            assert answer["ok"], f"{example.where}: the Python example failed\n{answer['error']}"

    def close(self) -> None:
        if self._python is not None:
            assert self._python.stdin is not None
            self._python.stdin.close()
            try:
                self._python.wait(30)
            except subprocess.TimeoutExpired:
                self._python.kill()
                self._python.wait()
        if self._answers is not None:
            os.close(self._answers)


def _read_line(fd: int, timeout: float = 180) -> str:
    import select

    data = b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise AssertionError(f"a Python example ran for more than {timeout:g} s")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError("the interpreter running the examples died")
        data += chunk
    return data.decode("utf-8")


def _providers() -> list[str]:
    return [e.name for e in available_providers() if not e.name.startswith("testprov")]


@pytest.fixture
def page_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A clean environment with every provider's emulator exported, as a user
    who ran ``ileti emulate P --sender FIRMA`` in another terminal has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILETI_")}
    home = tmp_path / "home"
    home.mkdir()
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        ILETI_CONFIG=str(tmp_path / "absent-config.toml"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_COLOR="1",
        ILETI_DOCS_REPO=str(ROOT),
    )
    running: list[ServedEmulator] = []
    followers: list[ClockFollower] = []
    try:
        for name in _providers():
            clock = VirtualClock()
            emulator = serve_emulator(name, clock=clock, senders=[SENDER])
            running.append(emulator)
            env.update(emulator.environment())
            follower = ClockFollower(clock, 60.0)
            follower.start(interval=0.05)
            followers.append(follower)
        yield env
    finally:
        for follower in followers:
            follower.stop()
        for emulator in running:
            emulator.close()


PAGES = pages()


def test_the_pages_follow_the_example_conventions() -> None:
    total, problems = 0, []
    for path in PAGES:
        try:
            total += len(examples(path))
        except ExampleError as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)
    assert total > 20


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_the_examples_of_the_page_run(path: Path, tmp_path: Path, page_env: dict[str, str]) -> None:
    found = examples(path)
    runnable = [e for e in found if e.skip is None]
    if not runnable:
        reasons = "; ".join(f"{e.where}: {e.skip}" for e in found) or "no examples"
        pytest.skip(f"nothing to run ({reasons})")
    folder = tmp_path / "work"
    folder.mkdir()
    runner = PageRunner(folder, page_env)
    try:
        for example in runnable:
            runner.run(example)
    finally:
        runner.close()


def test_the_conventions_are_enforced(tmp_path: Path) -> None:
    def parse(text: str) -> list[Example]:
        path = tmp_path / "page.md"
        path.write_text(text, encoding="utf-8")
        return examples(path)

    cases = {
        "```\nx\n```\n": "without a language",
        "<!-- example: skip -->\n```sh\nx\n```\n": "needs a reason",
        "<!-- example: setup\nx\n\n```sh\nx\n```\n": "not closed",
        "<!-- example: skip why -->\nsome text\n```sh\nx\n```\n": "must precede a fence",
        "<!-- example: skip why -->\n```toml\nx\n```\n": "do not run",
        "```cobol\nx\n```\n": "unknown example language",
        "```python\nx\n": "unclosed fence",
    }
    for text, message in cases.items():
        with pytest.raises(ExampleError, match=message):
            parse(text)
    [a, b, c] = parse(
        "<!-- example: skip: it sends for real -->\n```sh\npip install x\n```\n"
        "<!-- example: setup\necho a > f\n-->\n```sh\ncat f\n```\n"
        "  ```python\n  print(1)\n  ```\n```toml\n[x]\n```\n"
    )
    assert (a.skip, a.code) == ("it sends for real", "pip install x")
    assert (b.setup, b.code, b.skip) == ("echo a > f", "cat f", None)
    assert (c.lang, c.code, c.line) == ("python", "print(1)", 12)


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_the_first_examples_pass_mypy_strict(page: str, tmp_path: Path) -> None:
    """What a newcomer copies first type-checks as written (``report(result)``)."""
    code = "\n\n".join(e.code for e in examples(ROOT / page) if e.lang in PYTHON and not e.skip)
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "example.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_the_plugin_guide_excerpts_match_the_generated_plugin() -> None:
    """The guide's Python blocks headed ``# path (excerpt)`` do not run (they are
    parts of a module); each of their lines is in that file of the plugin
    ``ileti new-plugin acme --title "Acme SMS"`` generates."""
    from ileti.cli.new_plugin import render

    generated = render("acme", "Acme SMS")
    checked = 0
    for example in examples(ROOT / "docs" / "writing-a-plugin.md"):
        head = re.fullmatch(r"# (\S+) \(excerpt\)", example.code.splitlines()[0])
        if example.lang not in PYTHON or head is None:
            continue
        path = head.group(1)
        assert path in generated, f"{example.where}: the plugin has no {path}"
        lines = {line.strip() for line in generated[path].splitlines()}
        missing = [
            line
            for line in example.code.splitlines()[1:]
            if line.strip() and line.strip() not in lines
        ]
        assert not missing, f"{example.where}: not in the generated {path}: {missing}"
        checked += 1
    assert checked >= 3
