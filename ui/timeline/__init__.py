"""The timeline: event-rate lanes per host × publisher → subscriber, linked to the records."""
