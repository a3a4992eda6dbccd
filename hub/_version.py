"""hub's version; defined in :mod:`hub` itself (one module fewer to load at ``import hub``)."""

from hub import __version__ as __version__
