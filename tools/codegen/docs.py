"""Turn botocore's HTML documentation into short plain-text docstring lines."""

from __future__ import annotations

import html
import re
import textwrap

# Paragraphs that are notices, not a description of what the operation does.
_SKIP = ("End of support notice", "This operation is not supported for directory",
         "You can use this operation", "Using the GetBucketLocation", "This action is not",
         "This operation is not supported", "For more information", "For information about")
_TAG = re.compile(r"<[^>]+>")
# Notices and notes are not the description; drop them before looking for paragraphs.
_ASIDE = re.compile(r"<(important|note)>.*?</\1>", re.S)
_PARA = re.compile(r"<p>(.*?)</p>", re.S)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])")


def _text(fragment: str) -> str:
    text = html.unescape(_TAG.sub(" ", fragment))
    # Docstrings are plain text: drop characters that RST or a str literal would interpret.
    text = text.replace("\\", "/").replace("`", "'").replace("*", "").replace('"""', "'''")
    return " ".join(text.split())


def paragraphs(doc: str | None) -> list[str]:
    """The documentation's paragraphs as plain text (notices skipped)."""
    doc = _ASIDE.sub(" ", doc or "")
    found = _PARA.findall(doc) or [doc]
    out = []
    for para in found:
        text = _text(para)
        if text and not text.startswith(_SKIP):
            out.append(text)
    return out


def summary(doc: str | None, limit: int = 300) -> str:
    """The first paragraph that says what the thing does, cut to ``limit`` characters."""
    for text in paragraphs(doc):
        return _cut(text, limit)
    return ""


def first_sentence(doc: str | None, limit: int = 110) -> str:
    """The first sentence of the first paragraph, cut to ``limit`` characters."""
    text = summary(doc, 10_000)
    if not text:
        return ""
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".") + "."
    return _cut(sentence, limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def wrap(text: str, indent: str, width: int = 100, first: str = "",
         hanging: bool = True) -> list[str]:
    """Wrap ``first + text`` at ``width``; continuation lines get ``indent`` (+ 4 spaces when
    ``hanging``, as Google-style argument entries want)."""
    return textwrap.wrap(first + text, width=width, initial_indent=indent,
                         subsequent_indent=indent + ("    " if hanging else ""),
                         break_long_words=False,
                         break_on_hyphens=False) or [indent + first.rstrip()]


def split_summary(text: str) -> tuple[str, str]:
    """``(first sentence, the rest)`` of a paragraph."""
    parts = _SENTENCE_END.split(text, maxsplit=1)
    head = parts[0].rstrip(".") + "."
    return head, parts[1] if len(parts) > 1 else ""
