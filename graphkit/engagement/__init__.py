"""Engagement analytics: activity metrics, retention cohorts, anomaly alerts, aha moments.

Every function here takes plain data (an :class:`~graphkit.engagement.eventlog.ActivityLog`,
DataFrames, Series) and returns a frozen result; reading the store is the workflow's job
(:mod:`graphkit.workflows.engagement`).
"""
