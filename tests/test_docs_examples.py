"""The documentation's code runs: every ```python block in docs/*.md, and the config reference.

Conventions for doc authors (MyST Markdown):

- Each page's ```python blocks run in order in one namespace, so a block may use names an
  earlier block on the same page defined. Other fences (``console``, ``text``, ``ini``, ...)
  are not run.
- The namespace starts with ``endpoint_url``: the URL of a local moto server, reset before each
  page, with dummy AWS credentials and ``AWS_REGION=us-east-1`` in the environment. Write
  ``hub.Config(endpoint_url=endpoint_url)`` where a real program would talk to AWS.
- ``% docs-test: skip <reason>`` (a MyST comment, invisible in the site) on the line before a
  block skips it. Keep these few: for blocks that need real AWS or are not code (signatures).
- ``<!-- docs-test: setup`` ... ``-->`` (an HTML comment, invisible in the site) before a block
  holds hidden Python run just before it, for fragments that need a name defined.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import hub
from hub._settings import ENVIRONMENT
from tests.servers.moto_server import MotoServer

DOCS = Path(__file__).resolve().parents[1] / "docs"
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
_SKIP = re.compile(r"^%\s*docs-test:\s*skip\b(.*)$")
_SETUP = re.compile(r"^<!--\s*docs-test:\s*setup\s*$")


@dataclass(frozen=True)
class Block:
    """One ```python block: where it starts (1-based line of its first code line) and its code."""

    page: str
    line: int
    code: str
    setup: str = ""
    skip: str | None = None


def extract(path: Path) -> list[Block]:
    """The ```python blocks of a Markdown page, with their skip reasons and hidden setup."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    skip: str | None = None
    setup = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := _SKIP.match(line):
            skip = m.group(1).strip() or "(no reason given)"
        elif _SETUP.match(line):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->")
            setup = "\n".join(lines[i + 1 : end])
            i = end
        elif m := _FENCE.match(line):
            fence, lang = m.group(1), m.group(2)
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(fence))
            if lang == "python":
                blocks.append(Block(path.name, i + 2, "\n".join(lines[i + 1 : end]), setup, skip))
            skip, setup = None, ""
            i = end
        elif line.strip():
            skip, setup = None, ""  # markers apply only to the block right after them
        i += 1
    return blocks


def _pages() -> list[Path]:
    """Every Markdown page: docs/*.md and the per-service guides in docs/services/."""
    return [*DOCS.glob("*.md"), *DOCS.glob("services/*.md")]


PAGES = sorted(p for p in _pages() if extract(p))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page: Path, moto: MotoServer, capsys: pytest.CaptureFixture[str]
                           ) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}",
                                    "endpoint_url": moto.url}
    ran = 0
    for block in extract(page):
        if block.skip is not None:
            continue
        if block.setup:
            exec(compile(block.setup, f"{page.name}:{block.line} (setup)", "exec"), namespace)
        # Pad so a failure's traceback points at the Markdown file's own line numbers.
        exec(compile("\n" * (block.line - 1) + block.code, str(page), "exec"), namespace)
        ran += 1
    assert ran or all(b.skip for b in extract(page))


def test_skip_markers_are_few_and_give_a_reason() -> None:
    skipped = [b for p in _pages() for b in extract(p) if b.skip is not None]
    assert all(b.skip and b.skip != "(no reason given)" for b in skipped), skipped
    total = sum(len(extract(p)) for p in _pages())
    assert len(skipped) <= max(6, total // 4), [f"{b.page}:{b.line}" for b in skipped]


def test_extract_understands_the_markers(tmp_path: Path) -> None:
    page = tmp_path / "x.md"
    page.write_text(
        "% docs-test: skip needs AWS\n```python\nskipped()\n```\n\n"
        "<!-- docs-test: setup\nx = 1\n-->\n```python\nprint(x)\n```\n\n"
        "```text\nnot code\n```\n\n```python\nplain = True\n```\n",
        encoding="utf-8",
    )
    blocks = extract(page)
    assert [(b.line, b.skip, b.setup) for b in blocks] == [
        (3, "needs AWS", ""), (10, None, "x = 1"), (18, None, "")]


def _config_rows() -> dict[str, list[str]]:
    """``field -> [type, default, environment, meaning]`` from configuration.md's table."""
    rows: dict[str, list[str]] = {}
    for line in (DOCS / "configuration.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 5:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_config_field_is_documented() -> None:
    rows = _config_rows()
    fields = [f.name for f in dataclasses.fields(hub.Config)]
    assert sorted(set(fields) - set(rows)) == [], "Config fields missing from configuration.md"
    assert sorted(set(rows) - set(fields)) == [], "configuration.md documents unknown fields"
    for name in fields:
        kind, default, env, meaning = rows[name]
        assert kind and default and env and meaning, f"incomplete row for {name}"


def test_documented_defaults_and_environment_variables_match_the_code() -> None:
    from hub._settings import BUILTIN

    rows = _config_rows()
    for variable, field, _parse in ENVIRONMENT:
        assert variable in rows[field][2], f"{variable} not documented for {field}"
    for name, value in BUILTIN.set_fields().items():
        shown = f'`"{value}"`' if isinstance(value, str) else f"`{value!r}`"
        assert shown in rows[name][1], f"default of {name} should read {shown}"
