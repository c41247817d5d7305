"""What every plot module shares: where a plot draws.

Plots are pure (ARCHITECTURE, habit 8): they take data and an optional ``ax``, and return
the Figure; they never show or save. :func:`figure_and_axes` gives them the caller's axes,
or a new Figure of the plot's own size, not attached to pyplot (no global state, no GUI).
"""

from __future__ import annotations

import matplotlib.figure
from matplotlib.axes import Axes


def figure_and_axes(
    ax: Axes | None, size: tuple[float, float]
) -> tuple[matplotlib.figure.Figure, Axes]:
    """The caller's ``ax`` and its Figure, or a new ``size``-inch Figure with one axes.

    Examples
    --------
    >>> figure, ax = figure_and_axes(None, (4, 3))
    >>> figure.get_size_inches().tolist(), figure_and_axes(ax, (9, 9))[0] is figure
    ([4.0, 3.0], True)
    """
    if ax is not None:
        figure = ax.get_figure()
        assert isinstance(figure, matplotlib.figure.Figure)
        return figure, ax
    figure = matplotlib.figure.Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()
