"""Helpers shared by the displays."""

from __future__ import annotations

from .._pipeline import final_estimator

__all__ = ["final_estimator", "merge_kwargs"]


def merge_kwargs(defaults, kwargs):
    """``defaults`` updated with the user's ``kwargs`` (which may be None)."""
    return {**defaults, **(kwargs or {})}
