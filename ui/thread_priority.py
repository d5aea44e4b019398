"""Background threads yield the CPU to the window's GUI thread.

On a machine whose cores are all busy (a load's DuckDB threads on two cores, other programs),
the GUI thread waited for a core like any other thread and the window froze for 100 ms and
more at a time. A worker lowers its own scheduling priority when it starts; threads it
creates (DuckDB's and Arrow's pools, the parallel reads) inherit it, as Linux threads do.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

BACKGROUND_NICE = 5  # added to the thread's nice value: about a third of the GUI's CPU share


def lower_this_thread() -> bool:
    """Lower the calling thread's CPU priority (Linux, where a nice value is per thread);
    False where that is not possible here (the caller may use Qt's thread priority)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + BACKGROUND_NICE))
    except OSError:
        log.debug("could not lower a worker thread's priority", exc_info=True)
        return False
    return True
