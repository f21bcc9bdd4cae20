"""What a service's warm-up sets (a database pool, a model, a job runner): until it is set, a call that
needs it is told to retry (UNAVAILABLE / 503) rather than failing on None. The server listens before
warm-up ends (health NOT_SERVING meanwhile, services/kit/server.py), so such calls can arrive."""

from __future__ import annotations

from typing import Any

from services.kit import errors


class SetAtWarmUp:
    """A descriptor: `analyzer = SetAtWarmUp()` on a servicer; `self.analyzer = x` in warm-up."""

    def __init__(self, message: str = "The service is starting up; retry in a few seconds") -> None:
        self.message = message

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = getattr(obj, self.slot, None)
        if value is None:
            raise errors.Unavailable(self.message)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.slot, value)

    def is_set(self, obj: Any) -> bool:
        return getattr(obj, self.slot, None) is not None
