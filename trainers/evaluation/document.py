"""A tiny document model rendered twice: Markdown for review in a pull request, HTML for reading.

The report is built once as a list of blocks; ``to_markdown`` and ``to_html`` only render, so the
two files cannot disagree. The HTML is self-contained: images are embedded as base64 PNG.
Inline text supports ``code`` and **bold**, nothing else.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Image:
    path: str
    """Relative to the output directory."""
    alt: str


@dataclass(frozen=True)
class Details:
    """A collapsible section in HTML; a plain bold line plus its blocks in Markdown."""

    summary: str
    blocks: list[Block] = field(default_factory=list)


Block = Heading | Para | Bullets | Table | Image | Details


def _md_cell(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, Bullets):
            out.append("\n".join(f"- {i}" for i in b.items) if b.items else "- (none)")
        elif isinstance(b, Table):
            lines = ["| " + " | ".join(_md_cell(h) for h in b.headers) + " |"]
            lines.append("|" + "|".join("---" for _ in b.headers) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif isinstance(b, Image):
            out.append(f"![{b.alt}]({b.path})")
        else:
            out.append(f"**{b.summary}**")
            out.append(to_markdown(b.blocks))
    return "\n\n".join(out) + "\n"


_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
]


def _inline(s: str) -> str:
    s = html.escape(s, quote=False)
    for rx, repl in _INLINE:
        s = rx.sub(repl, s)
    return s


def _html_blocks(blocks: list[Block], base: Path) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            level = min(b.level, 6)
            out.append(f"<h{level}>{_inline(b.text)}</h{level}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items or ["(none)"]) + "</ul>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{_inline(h)}</th>" for h in b.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in b.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Image):
            data = base64.b64encode((base / b.path).read_bytes()).decode("ascii")
            out.append(f'<img alt="{html.escape(b.alt)}" src="data:image/png;base64,{data}">')
        else:
            out.append(
                f"<details><summary>{_inline(b.summary)}</summary>{_html_blocks(b.blocks, base)}</details>"
            )
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;
margin:2em auto;max-width:1400px;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.86em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3} tr:nth-child(even) td{background:#fafafa}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
code{background:#f3f3f3;padding:0 .2em}
details{margin:.4em 0 .8em;padding-left:.6em;border-left:3px solid #ddd}
summary{cursor:pointer;font-weight:600}
h1,h2{border-bottom:1px solid #ddd;padding-bottom:.2em}
"""


def to_html(blocks: list[Block], *, title: str, base: Path) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n{_html_blocks(blocks, base)}\n</body></html>\n"
    )
