"""Investigations: functions over a store's frames (diagnose, diff, audit, timeline...)."""
