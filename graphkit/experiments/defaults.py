"""Defaults of the experiment analyses, in a module that imports nothing.

The CLI shows them in ``--help`` without loading pandas; :mod:`~graphkit.experiments.
metrics` and :mod:`~graphkit.experiments.segmentation` re-export them.
"""

from typing import Literal

DEFAULT_METRICS = ("time_spent", "sessions", "events")
DEFAULT_POST_DAYS = 14.0
DEFAULT_PRE_DAYS = 14.0
DEFAULT_CHURN_DAYS = 7.0
"""Inactivity (days) after which a user counts as churned."""

SegmentBy = Literal["degree", "influencer", "community"]
SEGMENTATIONS: tuple[SegmentBy, ...] = ("degree", "influencer", "community")
FEATURE_OF: dict[str, str] = {
    "degree": "degree",
    "influencer": "influencer",
    "community": "community",
}
"""The graph feature column each segmentation reads."""
DEFAULT_DECILES = 10
DEFAULT_MIN_SIZE = 30
