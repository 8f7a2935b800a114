"""Investigations: functions over a store and its frames (queries, extract, diagnose, config diffs,
audits, timeline, summary). Importing the package registers those offered as store methods
(`store.audit()`, `store.get_item(...)`), so the store itself never imports an investigation."""

from __future__ import annotations

from . import (  # noqa: F401  (they register store methods)
    coherency,
    content_search,
    extract,
    mailbox_export,
    probe,
    queries,
    retention,
    shares,
)
