"""admin user search and activity: users by sign-up time, audit entries by target, sessions by sign-in time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_created_at", "users", ["created_at"])
    op.create_index("ix_audit_logs_target_id_created_at", "audit_logs", ["target_id", "created_at"])
    op.create_index("ix_auth_sessions_user_id_created_at", "auth_sessions", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_sessions_user_id_created_at", table_name="auth_sessions")
    op.drop_index("ix_audit_logs_target_id_created_at", table_name="audit_logs")
    op.drop_index("ix_users_created_at", table_name="users")
