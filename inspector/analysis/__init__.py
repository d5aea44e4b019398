"""Analysis: event rates, duplicated delivery, bursts — Arrow in, Arrow out, no I/O, no clock."""
