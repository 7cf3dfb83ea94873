"""Imports every producer's payload module, so that ``EVENT_TYPES`` lists every event of the suite."""

from shared.events import funding, licensing, matching, registry, scenarios  # noqa: F401

__all__ = ["funding", "licensing", "matching", "registry", "scenarios"]
