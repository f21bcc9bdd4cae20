"""Users: field rules, storage, and the "me" lookup behind every profile/API-key call."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.kit.context import Principal
from services.kit.errors import Conflict, Forbidden, InvalidRequest, Unauthorized

ROLES = ("admin", "coach", "student")
SELF_SERVICE_ROLES = ("student", "coach")  # admins are made by an operator (admin.create_admin)
USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
# Basic shape only (one @, a dot in the domain, no spaces); deliverability is proven by mail, not regex.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MAX_EMAIL = 254  # RFC 5321 path limit
MAX_FULL_NAME = 200

_COLUMNS = "id, username, email, full_name, role, password_hash, created_at, updated_at"


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str
    full_name: str
    role: str
    password_hash: str
    created_at: datetime
    updated_at: datetime


def _user(row: Any) -> User:
    return User(id=str(row["id"]), username=row["username"], email=row["email"] or "", full_name=row["full_name"],
                role=row["role"], password_hash=row["password_hash"], created_at=row["created_at"],
                updated_at=row["updated_at"])


def check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise InvalidRequest("Invalid username", details={
            "username": "must be 3-32 characters: letters, digits, '_', '.' or '-'"})


def check_email(email: str) -> None:
    if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        raise InvalidRequest("Invalid email address", details={"email": "must look like name@example.com"})


def check_full_name(full_name: str) -> None:
    if len(full_name) > MAX_FULL_NAME:
        raise InvalidRequest("Full name is too long", details={"full_name": f"must be at most {MAX_FULL_NAME} characters"})


def check_role(role: str) -> str:
    role = role or "student"
    if role not in SELF_SERVICE_ROLES:
        raise InvalidRequest("Invalid role", details={"role": "must be 'student' or 'coach'"})
    return role


def conflict_email() -> Conflict:
    return Conflict("Email is already registered", details={"email": "already registered"})


def _conflict(exc: asyncpg.UniqueViolationError) -> Conflict:
    if "email" in (exc.constraint_name or ""):
        return conflict_email()
    return Conflict("Username is already taken", details={"username": "already taken"})


async def insert(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, email: str, full_name: str, role: str,
                 password_hash: str) -> User:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO users (username, email, full_name, role, password_hash) VALUES ($1, $2, $3, $4, $5) "
            f"RETURNING {_COLUMNS}", username, email or None, full_name, role, password_hash)
    except asyncpg.UniqueViolationError as exc:
        raise _conflict(exc) from None
    return _user(row)


async def by_username(conn: asyncpg.Connection | asyncpg.Pool, username: str) -> User | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower($1)", username)
    return _user(row) if row else None


async def by_email(conn: asyncpg.Connection | asyncpg.Pool, email: str) -> User | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower($1)", email)
    return _user(row) if row else None


async def by_id(conn: asyncpg.Connection | asyncpg.Pool, user_id: str) -> User | None:
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        return None
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", uid)
    return _user(row) if row else None


async def update(conn: asyncpg.Connection | asyncpg.Pool, user_id: str, **fields: Any) -> User:
    """Set the given columns (email, full_name, password_hash, role) and bump updated_at."""
    names = list(fields)
    if not set(names) <= {"email", "full_name", "password_hash", "role"}:
        raise ValueError(f"not an updatable column: {names}")
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    values = [None if name == "email" and not fields[name] else fields[name] for name in names]
    try:
        row = await conn.fetchrow(f"UPDATE users SET {assignments}, updated_at = now() WHERE id = $1 "
                                  f"RETURNING {_COLUMNS}", uuid.UUID(user_id), *values)
    except asyncpg.UniqueViolationError as exc:
        raise _conflict(exc) from None
    return _user(row)


async def me(conn: asyncpg.Connection | asyncpg.Pool, principal: Principal | None) -> User:
    """The calling user; Unauthorized when anonymous, Forbidden for callers with no account."""
    if principal is None:
        raise Unauthorized("Authentication required")
    if principal.method in ("static_api_key", "anonymous"):
        raise Forbidden("This operation needs a user account; static API keys and anonymous callers have none")
    user = await by_id(conn, principal.user_id)
    if user is None:
        raise Unauthorized("User no longer exists")
    return user
