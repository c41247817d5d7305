"""Render a :class:`~graphkit.reports.document.Report` as HTML, Markdown, JSON or CSV.

The format follows the suffix of the output path (:func:`write_report`):

``.html``
    One self-contained file: inline CSS, figures embedded as base64 PNG, no script, no
    font, no request to the network. A single column that reflows down to phone width
    (wide tables scroll sideways inside their own box; the page itself never does).
``.md``
    GitHub-flavoured Markdown; figures are written as PNG files into a folder next to
    it, ``<stem>_files/<figure>.png``, and linked with relative paths (move both
    together).
``.json``
    The document as data (schema below): sorted keys, 2-space indent, floats rounded to
    :data:`JSON_SIGNIFICANT_DIGITS` significant digits, NaN as ``null``, times as
    ISO-8601 strings. No timestamp of the run: the same data and options give the same
    bytes, so reports diff cleanly and golden tests stay stable.
``.csv``
    The report's main table goes to the path itself, every other table next to it as
    ``<stem>.<table>.csv``.

JSON schema (version :data:`JSON_FORMAT`)::

    {
      "format": "graphkit-report/1",
      "kind": "influencers",            # which report
      "title": str, "subtitle": str,
      "parameters": {option: value},    # what the report was made with
      "facts": {key: number | str},     # the key numbers
      "sections": [{"title": str, "blocks": [
          {"type": "paragraph", "text": str} |
          {"type": "bullets", "items": [str]} |
          {"type": "table", "name": str} |
          {"type": "figure", "name": str, "caption": str}]}],
      "tables": {name: {"caption": str, "columns": [str], "rows": [{column: value}]}}
    }
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.json_text import SIGNIFICANT_DIGITS, json_text
from graphkit.json_text import plain as json_plain
from graphkit.json_text import round_significant as round_significant  # re-exported
from graphkit.reports.document import Block, Bullets, Figure, Paragraph, Report, Table

JSON_FORMAT = "graphkit-report/1"
JSON_SIGNIFICANT_DIGITS = SIGNIFICANT_DIGITS
FIGURE_DPI = 150
NARROW_TABLE_COLUMNS = 5
"""HTML puts consecutive tables of at most this many columns side by side."""
SUFFIXES = (".html", ".md", ".json", ".csv")


# ------------------------------------------------------------------------------ values


def plain(value: Any) -> Any:
    """A JSON-ready value as reports write it: floats to :data:`JSON_SIGNIFICANT_DIGITS`."""
    return json_plain(value, digits=JSON_SIGNIFICANT_DIGITS)


def shown(value: Any, spec: str = "") -> str:
    """How a value reads in a table cell or a fact: ``spec`` for numbers, 4 significant
    digits for other floats, ``–`` for missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "–"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if isinstance(value, int | float) and spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def is_numeric(frame: pd.DataFrame, column: Any) -> bool:
    dtype = frame[column].dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def figure_png(block: Figure) -> bytes:
    """The figure as PNG bytes (no software/date metadata, so the bytes are stable)."""
    buffer = io.BytesIO()
    block.figure.savefig(
        buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight", metadata={"Software": None}
    )
    return buffer.getvalue()


# ------------------------------------------------------------------------------ JSON


def report_data(report: Report) -> dict[str, Any]:
    """The report as plain data (the JSON schema in this module's docstring)."""
    sections = []
    for section in report.sections:
        blocks: list[dict[str, Any]] = []
        for block in section.blocks:
            if isinstance(block, Paragraph):
                blocks.append({"type": "paragraph", "text": block.text})
            elif isinstance(block, Bullets):
                blocks.append({"type": "bullets", "items": list(block.items)})
            elif isinstance(block, Table):
                blocks.append({"type": "table", "name": block.name})
            else:
                blocks.append({"type": "figure", "name": block.name, "caption": block.caption})
        sections.append({"title": section.title, "blocks": blocks})
    tables = {
        table.name: {
            "caption": table.caption,
            "columns": [str(c) for c in table.frame.columns],
            "rows": [
                {str(k): plain(v) for k, v in row.items()} for row in table.frame.to_dict("records")
            ],
        }
        for table in report.tables()
    }
    return {
        "format": JSON_FORMAT,
        "kind": report.kind,
        "title": report.title,
        "subtitle": report.subtitle,
        "parameters": plain(report.parameters),
        "facts": {fact.key: plain(fact.value) for fact in report.facts},
        "sections": sections,
        "tables": tables,
    }


def render_json(report: Report) -> str:
    return json_text(report_data(report), ascii_only=False)


# ------------------------------------------------------------------------------ Markdown


def markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table) -> str:
    frame = table.frame
    columns = list(frame.columns)
    header = "| " + " | ".join(markdown_cell(str(c)) for c in columns) + " |"
    rule = "|" + "|".join("---:" if is_numeric(frame, c) else "---" for c in columns) + "|"
    lines = [header, rule]
    for row in frame.itertuples(index=False, name=None):
        cells = [
            markdown_cell(shown(v, table.formats.get(str(c), "")))
            for c, v in zip(columns, row, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(report: Report, figure_link: Callable[[Figure], str] | None = None) -> str:
    """Markdown text; ``figure_link(figure)`` gives each figure's image path (figures are
    replaced by a note when it is None, e.g. when the report goes to a terminal)."""
    parts = [f"# {report.title}"]
    if report.subtitle:
        parts.append(f"_{report.subtitle}_")
    if report.facts:
        parts.append(
            "\n".join(f"- **{f.label}:** {shown(f.value, f.format)}" for f in report.facts)
        )
    for section in report.sections:
        parts.append(f"## {section.title}")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, Bullets):
                parts.append("\n".join(f"- {item}" for item in block.items))
            elif isinstance(block, Table):
                caption = f"**{block.caption}**\n\n" if block.caption else ""
                parts.append(caption + markdown_table(block))
            elif figure_link is None:
                parts.append(
                    f"_(figure: {block.caption or block.name} — write the report to "
                    "an .html or .md file to see it)_"
                )
            else:
                alt = markdown_cell(block.alt or block.caption or block.name)
                caption = f"\n\n_{block.caption}_" if block.caption else ""
                parts.append(f"![{alt}]({figure_link(block)}){caption}")
    return "\n\n".join(parts) + "\n"


# ------------------------------------------------------------------------------ HTML

CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6577; --line: #dfe3ea;
        --accent: #2f6fb0; --card: #f5f7fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font-size: 16px; line-height: 1.55;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
                    "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3rem; margin: 2.25rem 0 0.75rem; padding-top: 0.5rem;
     border-top: 1px solid var(--line); }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
nav ol { margin: 0.5rem 0 1rem; padding-left: 1.25rem; color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr));
         gap: 0.6rem; margin: 1rem 0; padding: 0; list-style: none; }
.facts li { background: var(--card); border-radius: 8px; padding: 0.6rem 0.75rem; }
.facts .value { display: block; font-size: 1.25rem; font-weight: 600;
                overflow-wrap: anywhere; }
.facts .label { display: block; color: var(--muted); font-size: 0.85rem; }
.insights li { margin: 0.35rem 0; }
.table-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr));
              gap: 0 1rem; }
.table-grid th, .table-grid td { padding: 0.4rem 0.5rem; }
.table-wrap { overflow-x: auto; margin: 0.75rem 0 1.25rem; border: 1px solid var(--line);
              border-radius: 8px; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { caption-side: top; text-align: left; padding: 0.5rem 0.75rem; font-weight: 600;
          color: var(--muted); }
th, td { padding: 0.4rem 0.75rem; border-bottom: 1px solid var(--line); white-space: nowrap;
         text-align: left; }
th { background: var(--card); font-weight: 600; white-space: normal; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:last-child td { border-bottom: none; }
figure { margin: 1rem 0 1.5rem; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.4rem; }
footer { color: var(--muted); font-size: 0.8rem; margin-top: 3rem; }
@media (max-width: 600px) {
  main { padding: 0.75rem 0.75rem 2rem; }
  h1 { font-size: 1.45rem; }
  th, td { padding: 0.35rem 0.5rem; }
}
"""


def html_table(table: Table) -> str:
    frame = table.frame
    escape = html.escape
    numeric = [is_numeric(frame, c) for c in frame.columns]
    # Headers show ``composite_rank`` as "composite rank" so long names can wrap.
    head = "".join(
        f'<th scope="col"{" class=num" if num else ""}>{escape(str(c).replace("_", " "))}</th>'
        for c, num in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = "".join(
            f"<td{' class=num' if num else ''}>"
            f"{escape(shown(v, table.formats.get(str(c), '')))}</td>"
            for c, v, num in zip(frame.columns, row, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    return (
        f'<div class="table-wrap"><table id="table-{table.name}">{caption}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def html_figure(block: Figure) -> str:
    png = figure_png(block)
    width, height = png_size(png)
    data = base64.b64encode(png).decode("ascii")
    alt = html.escape(block.alt or block.caption or block.name, quote=True)
    caption = f"<figcaption>{html.escape(block.caption)}</figcaption>" if block.caption else ""
    # Shown at 2/3 of the pixel size: sharp on 1.5x screens, and CSS shrinks it on phones.
    return (
        f'<figure id="figure-{block.name}"><img src="data:image/png;base64,{data}" '
        f'alt="{alt}" width="{width * 2 // 3}" height="{height * 2 // 3}">{caption}</figure>'
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def is_narrow(block: Block) -> bool:
    return isinstance(block, Table) and len(block.frame.columns) <= NARROW_TABLE_COLUMNS


def html_blocks(blocks: Sequence[Block]) -> list[str]:
    """HTML of a section's blocks; runs of two or more narrow tables share a grid that
    puts them side by side on wide screens and stacks them on phones."""
    parts: list[str] = []
    run: list[Table] = []

    def flush() -> None:
        if len(run) == 1:
            parts.append(html_table(run[0]))
        elif run:
            parts.append('<div class="table-grid">' + "".join(map(html_table, run)) + "</div>")
        run.clear()

    for block in blocks:
        if isinstance(block, Table) and is_narrow(block):
            run.append(block)
            continue
        flush()
        if isinstance(block, Paragraph):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
            parts.append(f'<ul class="insights">{items}</ul>')
        elif isinstance(block, Table):
            parts.append(html_table(block))
        else:
            parts.append(html_figure(block))
    flush()
    return parts


def render_html(report: Report) -> str:
    escape = html.escape
    body = [f"<h1>{escape(report.title)}</h1>"]
    if report.subtitle:
        body.append(f'<p class="subtitle">{escape(report.subtitle)}</p>')
    if report.facts:
        items = "".join(
            f'<li><span class="value">{escape(shown(f.value, f.format))}</span>'
            f'<span class="label">{escape(f.label)}</span></li>'
            for f in report.facts
        )
        body.append(f'<ul class="facts">{items}</ul>')
    if len(report.sections) > 1:
        links = "".join(
            f'<li><a href="#{s.anchor}">{escape(s.title)}</a></li>' for s in report.sections
        )
        body.append(f'<nav aria-label="Contents"><ol>{links}</ol></nav>')
    for section in report.sections:
        body.append(f'<section id="{section.anchor}"><h2>{escape(section.title)}</h2>')
        body.extend(html_blocks(section.blocks))
        body.append("</section>")
    body.append(f"<footer>graphkit report · {escape(report.kind)}</footer>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(report.title)}</title>\n<style>{CSS}</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------------------ CSV


def csv_paths(report: Report, out: Path) -> dict[str, Path]:
    """Where each table goes: the main table to ``out``, the others beside it."""
    tables = report.tables()
    if not tables:
        raise ConfigError(
            f"report {report.kind!r} has no table to write as CSV",
            hint="write it as .html, .md or .json instead",
        )
    main = report.main_table or tables[0].name
    return {
        t.name: out if t.name == main else out.with_name(f"{out.stem}.{t.name}.csv") for t in tables
    }


# ------------------------------------------------------------------------------ dispatch


def report_format(out: Path) -> str:
    """The format ``out`` asks for (its suffix, lower-case), or a ConfigError."""
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(
            f"--out {out}: cannot tell the report format from the suffix {suffix or '(none)'!r}",
            hint="end the file name in .html, .md, .json or .csv",
        )
    return suffix


def write_report(report: Report, out: Path) -> list[Path]:
    """Write ``report`` in the format its suffix names; return every file written.

    Raises
    ------
    ConfigError
        If the suffix is not one of ``.html``, ``.md``, ``.json``, ``.csv``, or a file
        cannot be written.
    """
    suffix = report_format(out)
    written: list[Path] = []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".html":
            out.write_text(render_html(report), encoding="utf-8")
            written.append(out)
        elif suffix == ".json":
            out.write_text(render_json(report), encoding="utf-8")
            written.append(out)
        elif suffix == ".md":
            folder = out.with_name(f"{out.stem}_files")
            figures = report.figures()
            if figures:
                folder.mkdir(exist_ok=True)
            for block in figures:
                path = folder / f"{block.name}.png"
                path.write_bytes(figure_png(block))
                written.append(path)
            text = render_markdown(report, lambda f: f"{folder.name}/{f.name}.png")
            out.write_text(text, encoding="utf-8")
            written.insert(0, out)
        else:
            for name, path in csv_paths(report, out).items():
                report.table(name).frame.to_csv(path, index=False)
                written.append(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {exc.filename or out}: {exc.strerror or exc}",
            hint="choose a writable --out path",
        ) from exc
    return written
