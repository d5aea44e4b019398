"""The data model of a loaded run: ``Workspace``, ``SourceReport``, ``LoadOptions``.

It depends on pyarrow and the canonical schemas only, so that the analysis, the views and a
notebook can use it without the readers or the cache.
"""

from inspector.model.options import LoadOptions
from inspector.model.workspace import SourceReport, Workspace

__all__ = ["LoadOptions", "SourceReport", "Workspace"]
