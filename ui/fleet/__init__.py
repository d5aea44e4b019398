"""The fleet window: a dataset of many hosts, its heat map, rollout lane and findings."""
