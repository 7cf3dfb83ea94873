"""The funding rules' refusals: plain ``ValueError`` subclasses that carry no HTTP (DESIGN §4.5).

Every refusal has a stable ``code`` (``budget_exhausted``, ``above_enterprise_cap`` …) that the service maps once
to a problem+json answer and that tests assert on, a ``detail`` sentence for people, and the ``field`` at fault where
there is one. ``extra`` holds the numbers or names behind the refusal (the allowed transitions, the budget left …),
so that the edge can show them without parsing the sentence.
"""

from __future__ import annotations

from typing import Any


class FundingRuleError(ValueError):
    """Base of the funding domain's refusals."""

    def __init__(self, code: str, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.detail!r})"
