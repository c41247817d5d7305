"""graphkit: social-graph insights on Neo4j or an embedded store.

The same names the CLI uses are importable for notebooks::

    from graphkit import resolve_settings, load, analyze_centrality
    settings = resolve_settings(store_dir=".graphkit")
    load("data/demo", settings)
    result = analyze_centrality(settings)

Names load on first use (``lazy_loader`` reads them from ``__init__.pyi``), so importing
graphkit, or starting the CLI, pulls in no pandas, NetworkX or driver until needed.
"""

import lazy_loader

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
