"""Who the tests act as: the test session's first admin and static API key (the auth service's settings in
tests/conftest.py), the caller of single-backend tests, and the principals of the training tests."""

from __future__ import annotations

from services.kit.context import Principal

ADMIN_PASSWORD = "admin-password-123"
STATIC_API_KEY = "static-operator-key-0123456789"

# Who test clients of a single backend call as (a channel's caller when no principal is set).
TEST_CALLER = Principal(user_id="u_tests", username="tests", role="admin", method="jwt")

COACH_USER = Principal(user_id="u_coach", username="sensei", role="coach", method="jwt")
OTHER_COACH = Principal(user_id="u_other", username="rival", role="coach", method="jwt")
STUDENT = Principal(user_id="u_student", username="pupil", role="student", method="jwt")
ADMIN = Principal(user_id="u_admin", username="root", role="admin", method="jwt")
