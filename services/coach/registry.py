"""Coach registry rules: who may read, register, change and remove coaches, over the store."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from services.coach import validation
from services.coach.store import CoachStore
from services.kit.context import Principal
from services.kit.errors import Forbidden, InvalidRequest, NotFound, Unauthorized

REGISTERING_ROLES = ("admin", "coach")


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized("Authentication required")
    return principal


def require_id(coach_id: str) -> str:
    if not coach_id:
        raise InvalidRequest("Invalid request parameters", details={"coach_id": validation.REQUIRED})
    return coach_id


def may_change(principal: Principal, coach: Mapping[str, Any]) -> bool:
    return principal.is_admin or coach["owner_id"] == principal.user_id


class CoachRegistry:
    """Every operation takes the verified caller (None when the call carried no principal)."""

    def __init__(self, store: CoachStore) -> None:
        self.store = store

    async def list_coaches(self, principal: Principal | None, limit: int = 0,
                           offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of coaches ordered by id (limit 0 = default 100, at most 500) and the total count."""
        require_principal(principal)
        limit, offset = validation.check_page(limit, offset)
        return await self.store.list(limit, offset)

    async def count(self) -> int:
        """How many coaches are registered (for system information)."""
        return await self.store.count()

    async def get_coach(self, principal: Principal | None, coach_id: str) -> dict[str, Any]:
        require_principal(principal)
        coach = await self.store.get(require_id(coach_id))
        if coach is None:
            raise NotFound("coach", coach_id)
        return coach

    async def create_coach(self, principal: Principal | None, data: Mapping[str, Any]) -> dict[str, Any]:
        """Register a coach owned by the caller; owner_id and timestamps in `data` are ignored."""
        principal = require_principal(principal)
        if principal.role not in REGISTERING_ROLES:
            raise Forbidden("Only coaches and administrators can register a coach")
        return await self.store.insert(validation.validate_new(data), owner_id=principal.user_id)

    async def update_coach(self, principal: Principal | None, coach_id: str, paths: Iterable[str],
                           values: Mapping[str, Any]) -> dict[str, Any]:
        """Set the fields named in `paths` to their value in `values` (absent or None clears an optional
        field). Only an administrator or the owner may; paths must be editable fields."""
        principal = require_principal(principal)
        paths = list(paths)

        def prepare(current: dict[str, Any]) -> dict[str, Any]:
            # Ownership before validation: a stranger learns nothing about what would have been valid.
            if not may_change(principal, current):
                raise Forbidden("You can only change your own coach entry")
            fields = validation.check_update_paths(paths)
            return validation.validate_changes({field: values.get(field) for field in fields})

        updated = await self.store.update(require_id(coach_id), prepare)
        if updated is None:
            raise NotFound("coach", coach_id)
        return updated

    async def delete_coach(self, principal: Principal | None, coach_id: str) -> str:
        """Remove a coach and its reference performances (administrator or owner); returns the confirmation message."""
        principal = require_principal(principal)

        def authorize(current: dict[str, Any]) -> None:
            if not may_change(principal, current):
                raise Forbidden("You can only delete your own coach entry")

        if not await self.store.delete(require_id(coach_id), authorize):
            raise NotFound("coach", coach_id)
        return f"Coach {coach_id} deleted successfully"
