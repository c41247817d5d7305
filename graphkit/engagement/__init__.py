"""Engagement analytics: activity metrics, retention cohorts, anomaly alerts, aha moments.

One function per ``graphkit engagement`` command, taking an opened store and returning a
result that prints itself (:mod:`graphkit.engagement.commands`)::

    from contextlib import closing
    from graphkit import engagement, open_store, resolve_settings

    with closing(open_store(resolve_settings())) as store:
        result = engagement.metrics(store, top=5)
    result.to_dict()                                  # what --format json prints

Below them, every analysis takes plain data (an
:class:`~graphkit.engagement.eventlog.ActivityLog`, DataFrames, Series) and returns a frozen
result; reading the store is the workflow's job (:mod:`graphkit.workflows.engagement`)::

    from graphkit.engagement import summarise_events, activity_metrics
    log = summarise_events([events], users)          # frames as the store returns them
    activity_metrics(log).daily.table                # DAU, WAU, MAU, stickiness, CTR...

Names load on first use (``lazy_loader`` reads them from ``__init__.pyi``), so the CLI can
read :mod:`graphkit.engagement.settings` without loading pandas.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
