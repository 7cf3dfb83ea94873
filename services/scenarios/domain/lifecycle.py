"""What the lifecycles of this service share: who acts, a row of a transition table, and the refusals.

Each aggregate keeps its own table as data, ``{state: {command: Step}}``, and its own ``transition()``; the table
says everything about the life of the aggregate: from which state a command leads where, which roles may give
it, and whether it needs a reason. :func:`take_step` reads a table the same way for all of them, so that every
refusal reads alike and is structured for the caller:

* a command the current state does not have → :class:`TransitionRefused` (a conflict with the record's state),
  naming every command the state does have, where each leads and who may give it;
* a command the state has but the actor's role may not give → :class:`RoleRefused`;
* a command that needs a reason, given without one → :class:`ReasonRequired`.

A refusal changes nothing: the functions are pure and return the :class:`Change` to apply.

Roles here are the parts people play towards one record, not the token's role: an enterprise is the ``publisher``
of its own scenario and the ``applicant`` of its own application, but neither towards anyone else's. The service
works out which of these parts the caller plays (an admin acts as an officer) and passes them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.errors import Conflict, InvalidInput, PermissionDenied


class Role(StrEnum):
    """The part an actor plays towards a record."""

    PUBLISHER = "publisher"  # 发布方 / 发榜方: the scenario's publisher, the challenge's issuer (a firm or a department)
    OFFICER = "officer"  # 主管部门: a programme officer of the record's district, or city-wide; admins act as officers
    APPLICANT = "applicant"  # 揭榜方: the enterprise leading an application (its team, for milestones)
    INVITEE = "invitee"  # 受邀企业: the firm an invitation names (domain.invitations)
    SYSTEM = "system"  # a scheduled job acting on dates (an application window whose deadline passed)


@dataclass(frozen=True)
class Step:
    """One row of a transition table: where a command leads, who may give it, and whether it needs a reason."""

    to: StrEnum
    roles: frozenset[Role]
    reason_required: bool = False


Table = Mapping[StrEnum, Mapping[StrEnum, Step]]


@dataclass(frozen=True)
class Change:
    """An accepted transition: what the service writes (the new state) and audits (who, why)."""

    aggregate: str
    from_state: StrEnum
    to_state: StrEnum
    command: StrEnum
    role: Role  # the part under which the command was admitted
    reason: str | None = None
    # What an ending records besides its reason: a scenario's closing outcome, an application's decline code.
    outcome: StrEnum | None = None


def allowed(table: Table, state: StrEnum) -> list[dict[str, Any]]:
    """The commands ``state`` has, in table order, as plain values for a refusal's body."""
    return [{"command": command.value, "to": step.to.value, "roles": sorted(role.value for role in step.roles),
             "reason_required": step.reason_required}
            for command, step in table.get(state, {}).items()]


def _describe(table: Table, state: StrEnum) -> str:
    options = [f"{command} → {step.to} ({'/'.join(sorted(step.roles))}{', with a reason' if step.reason_required else ''})"
               for command, step in table.get(state, {}).items()]
    return "; ".join(options) if options else "nothing: it is final"


class TransitionRefused(Conflict):
    """The current state has no such command. ``allowed`` lists those it has."""

    title = "Transition not allowed"

    def __init__(self, aggregate: str, current: StrEnum, command: str, table: Table) -> None:
        super().__init__(
            f"a {aggregate} in state {current} cannot {command}; from {current} it can: {_describe(table, current)}",
            field="status", current_status=current.value, command=str(command), allowed=allowed(table, current))
        self.current = current
        self.command = command


class RoleRefused(PermissionDenied):
    """The command exists from this state, but not for the actor's part."""

    def __init__(self, aggregate: str, current: StrEnum, command: StrEnum, step: Step, roles: frozenset[Role]) -> None:
        acting = "/".join(sorted(roles)) or "no part"
        super().__init__(
            f"only {'/'.join(sorted(step.roles))} may {command} a {aggregate} in state {current}; you act as {acting}",
            current_status=current.value, command=command.value,
            roles_allowed=sorted(role.value for role in step.roles))


class ReasonRequired(InvalidInput):
    def __init__(self, aggregate: str, command: StrEnum) -> None:
        super().__init__(f"to {command} a {aggregate}, give the reason", field="reason", command=command.value)


def roles_of(acting_as: Role | str | Iterable[Role | str]) -> frozenset[Role]:
    """One part or several (an officer may also be the publishing department's officer)."""
    if isinstance(acting_as, str):
        return frozenset({Role(acting_as)})
    return frozenset(Role(role) for role in acting_as)


def take_step(aggregate: str, table: Table, state_type: type[StrEnum], command_type: type[StrEnum],
              current: StrEnum | str, command: StrEnum | str, acting_as: Role | str | Iterable[Role | str],
              reason: str | None = None) -> Change:
    """The change ``command`` makes to a record in ``current``, or the refusal (checked in this order: the state
    has the command, the actor's part may give it, the reason is there)."""
    state = state_type(current)  # a state the table does not know is corrupt data, not a refusal: ValueError
    steps = table.get(state, {})
    try:
        known = command_type(command)
    except ValueError:
        raise TransitionRefused(aggregate, state, str(command), table) from None
    step = steps.get(known)
    if step is None:
        raise TransitionRefused(aggregate, state, known.value, table)
    roles = roles_of(acting_as)
    admitted = sorted(step.roles & roles)
    if not admitted:
        raise RoleRefused(aggregate, state, known, step, roles)
    reason = reason.strip() if isinstance(reason, str) else None
    if step.reason_required and not reason:
        raise ReasonRequired(aggregate, known)
    return Change(aggregate, state, step.to, known, Role(admitted[0]), reason or None)


def reachable(table: Table, start: StrEnum) -> set[StrEnum]:
    """Every state some sequence of commands leads to from ``start`` (``start`` included)."""
    seen, frontier = {start}, [start]
    while frontier:
        for step in table.get(frontier.pop(), {}).values():
            if step.to not in seen:
                seen.add(step.to)
                frontier.append(step.to)
    return seen


def final_states(table: Table, states: Iterable[StrEnum]) -> frozenset[StrEnum]:
    """The states without a way out."""
    return frozenset(state for state in states if not table.get(state))
