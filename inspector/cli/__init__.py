"""The headless twin: ``osquery-inspector scan`` and friends (no Qt imported here)."""
