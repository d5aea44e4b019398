"""What osquery knows: event tables and their publishers per platform, status-log markers."""
