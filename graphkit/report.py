"""The ``graphkit report`` commands from Python: each returns the report document.

Render a :class:`~graphkit.reports.document.Report` with
:func:`graphkit.reports.write_report` (``.html``, ``.md``, ``.json`` or ``.csv`` by the
suffix), as ``graphkit report ... --out FILE`` does::

    import graphkit
    from graphkit.reports import write_report

    store = graphkit.open_store(graphkit.resolve_settings())
    write_report(graphkit.report.influencers(store, top=10), Path("influencers.html"))
    store.close()

``influencers`` takes an opened store (or settings) and a
:class:`~graphkit.graph.pull.SubgraphSpec`; ``experiment`` and ``engagement`` take what
the experiment and engagement use cases take (see :mod:`graphkit.workflows.reports`).
"""

from __future__ import annotations

from graphkit.workflows.reports import engagement_report as engagement
from graphkit.workflows.reports import experiment_report as experiment
from graphkit.workflows.reports import influencer_report as influencers

__all__ = ["engagement", "experiment", "influencers"]
