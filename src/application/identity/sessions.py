"""Who is calling (per request), and ending sessions: logout, logout everywhere, revoke one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from src.application.identity.deps import IdentityDeps
from src.application.identity.session_state import SessionState
from src.domain.identity.errors import TokenRevoked
from src.domain.identity.model import Session
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal


async def authenticate(access_token: str, deps: IdentityDeps) -> Principal:
    """A valid signature is not enough: the session must still be live (checked through the cache)."""
    user_id, session_id = deps.tokens.read_access(access_token)
    state = (await session_states([session_id], deps))[session_id]
    if state is None or not state.is_live_for(user_id):
        raise TokenRevoked
    return state.as_principal(session_id)


async def live_sessions(sessions: Collection[tuple[str, str]], deps: IdentityDeps) -> set[tuple[str, str]]:
    """The (session id, user id) pairs that `authenticate` would still accept, checked all at once in the shared
    cache (not this process's copies: the periodic check of open sockets also covers a missed invalidation)."""
    states = await session_states(list({session_id for session_id, _ in sessions}), deps, local=False)
    return {(session_id, user_id) for session_id, user_id in sessions if _live(states[session_id], user_id)}


async def session_states(
    session_ids: Sequence[str], deps: IdentityDeps, local: bool = True
) -> dict[str, SessionState | None]:
    """One cache read for all the sessions; the database (one unit of work) only for those the cache misses."""
    states = dict(zip(session_ids, await deps.session_state.get_many(session_ids, local), strict=True))
    missing = [session_id for session_id, state in states.items() if state is None]
    if missing:
        async with (deps.lookup_uow_factory or deps.uow_factory)() as uow:
            for session_id in missing:
                states[session_id] = await deps.session_state.load(uow, session_id, deps.clock.now())
    return states


def _live(state: SessionState | None, user_id: str) -> bool:
    return state is not None and state.is_live_for(user_id)


async def log_out(principal: Principal, deps: IdentityDeps) -> None:
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        session = await uow.sessions.get(principal.session_id)
        if session is not None:
            session.revoke(now, "logout")
            await uow.sessions.update(session)
        await uow.commit()
    await deps.session_state.mark_revoked([principal.session_id], principal.user_id)


async def log_out_everywhere(principal: Principal, deps: IdentityDeps) -> None:
    async with deps.uow_factory() as uow:
        revoked = await uow.sessions.revoke_all(principal.user_id, deps.clock.now(), "logout_all")
        await uow.commit()
    await deps.session_state.mark_revoked([*revoked, principal.session_id], principal.user_id)


@dataclass(frozen=True)
class SessionView:
    session: Session
    current: bool


async def list_sessions(principal: Principal, deps: IdentityDeps) -> list[SessionView]:
    async with deps.uow_factory() as uow:
        sessions = await uow.sessions.list_active(principal.user_id, deps.clock.now())
    return [SessionView(session, session.id == principal.session_id) for session in sessions]


async def revoke_session(principal: Principal, session_id: str, deps: IdentityDeps) -> None:
    """Only your own sessions: another user's session id is answered as if it did not exist."""
    async with deps.uow_factory() as uow:
        session = await uow.sessions.get(session_id)
        if session is None or session.user_id != principal.user_id:
            raise NotFound("no such session")
        session.revoke(deps.clock.now(), "revoked_by_user")
        await uow.sessions.update(session)
        await uow.commit()
    await deps.session_state.mark_revoked([session_id], principal.user_id)
