"""Qt item models over Arrow tables."""
