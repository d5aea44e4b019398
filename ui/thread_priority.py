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

# Added to a worker's nice value: a tenth of the GUI thread's CPU weight when both want a core
# (the longest stall while a 1 GB run opened: 57–77 ms, against 84–85 ms at 5).
BACKGROUND_NICE = 10
# Every Qt call from Python lets go of the GIL and takes it back; while a worker runs Python,
# taking it back waits up to the switch interval each time (5 ms by default): a paint of the
# timeline makes a few hundred such calls. A short interval keeps those waits short.
GUI_SWITCH_INTERVAL_S = 0.0005


def favour_the_gui_thread() -> None:
    """Set the interpreter's switch interval for a window (see ``GUI_SWITCH_INTERVAL_S``)."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)


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
