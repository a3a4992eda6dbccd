"""Per-service models (generated data) and helpers; see :mod:`hub.services._registry`."""

from __future__ import annotations
