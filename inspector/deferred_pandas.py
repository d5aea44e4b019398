"""Keep pyarrow from importing pandas in processes that never give it a pandas object.

pyarrow imports pandas (0.2–0.3 s here) the first time it converts anything, only to ask
whether the input is a pandas object. Its shim remembers a failed import and tries again when
something really needs pandas (``Table.to_pandas``, ``Table.from_pandas``), so a process whose
own code hands pyarrow no pandas objects — the command line, the window — can let that first
look fail: pandas then loads only when it is used.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType


class _RefusePandas(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ImportError("pandas is loaded when it is used")
        return None


def defer_pandas() -> None:
    """Let pyarrow's first look for pandas fail (nothing happens when pandas is already loaded:
    a notebook's pyarrow must keep recognising its DataFrames)."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    refuse = _RefusePandas()
    sys.meta_path.insert(0, refuse)
    try:
        pa.array([0])  # the conversion that makes the shim look for pandas, once
    finally:
        sys.meta_path.remove(refuse)
