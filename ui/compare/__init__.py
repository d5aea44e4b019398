"""Comparing the loaded run with another one: the delta table and the overlaid lanes."""
