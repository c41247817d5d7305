"""Reports people read and data analysts keep: a document model, its renderers, plots.

Build a :class:`Report` (sections of paragraphs, bullet lists, tables and figures) and
:func:`write_report` renders it as ``.html``, ``.md``, ``.json`` or ``.csv`` by the
suffix of the path. :mod:`graphkit.reports.influencers` builds the influencer report;
:mod:`graphkit.reports.network_plots` holds its plots (pure functions returning a
matplotlib Figure).
"""

from graphkit.reports.document import (
    Bullets,
    Fact,
    Figure,
    Paragraph,
    Report,
    Section,
    Table,
)
from graphkit.reports.renderers import (
    render_html,
    render_json,
    render_markdown,
    report_data,
    report_format,
    write_report,
)

__all__ = [
    "Bullets",
    "Fact",
    "Figure",
    "Paragraph",
    "Report",
    "Section",
    "Table",
    "render_html",
    "render_json",
    "render_markdown",
    "report_data",
    "report_format",
    "write_report",
]
