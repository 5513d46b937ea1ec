"""Named permission predicates, composed with & and |, declared on every view (deny by default).

A predicate answers for a user alone (role rules). Object rules, such as which citizens a nurse may see,
live in the services that load the objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from servicecenter.auth.models import Role


@dataclass(frozen=True)
class Permission:
    name: str
    test: Callable[[object], bool]

    def __call__(self, user: object) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and self.test(user)

    def __and__(self, other: Permission) -> Permission:
        return Permission(f"({self.name} & {other.name})", lambda u: self.test(u) and other.test(u))

    def __or__(self, other: Permission) -> Permission:
        return Permission(f"({self.name} | {other.name})", lambda u: self.test(u) or other.test(u))


def has_role(*roles: Role) -> Permission:
    names = "|".join(r.value for r in roles)
    return Permission(f"role:{names}", lambda u: getattr(u, "role", None) in roles)


is_authenticated = Permission("authenticated", lambda u: True)
is_admin = has_role(Role.ADMIN)

can_manage_users = is_admin
can_view_citizens = has_role(Role.HELPDESK, Role.COORDINATOR, Role.TECHNICIAN, Role.NURSE)
can_edit_citizens = has_role(Role.HELPDESK, Role.NURSE)
# Helpdesk confirms identity on the phone and nurses refer; both need the full CPR now and then.
can_reveal_cpr = has_role(Role.HELPDESK, Role.NURSE)
# Key-box and door codes on the citizen's record: the helpdesk, who keeps them and guides someone to the door. A
# technician sees them on the day of his visit only, on the stop and the route sheet (dispatch shows and logs them).
can_see_access_notes = has_role(Role.HELPDESK)
# A technician helping a colleague "breaks the glass" for one citizen (a reason, logged, until the day ends); the
# coordinators review every such break.
can_break_glass = has_role(Role.TECHNICIAN)
can_review_glass_breaks = has_role(Role.COORDINATOR)
# Admins see no citizen records (by design), so they do not get the per-citizen access log either.
can_view_citizen_audit = has_role(Role.COORDINATOR, Role.HELPDESK)
# Relatives' access to the portal, given or withdrawn on the citizen's behalf (she asked on the phone).
can_grant_portal_access = has_role(Role.HELPDESK)
can_review_security_events = has_role(Role.COORDINATOR, Role.ADMIN)
can_manage_organisations = is_admin

# Inventory: the warehouse runs it; technicians scan in vans and homes; the helpdesk looks things up.
can_manage_inventory = has_role(Role.WAREHOUSE, Role.ADMIN)
can_scan = has_role(Role.WAREHOUSE, Role.TECHNICIAN)
# Into a citizen's home without a visit (an exception; the door is the rule): a technician, who may see the citizen,
# with a reason, and only into a course that is set up (the service checks both). Collecting outside a visit (a
# relative brings devices back to the depot) needs a reason too, but no citizen's name: the warehouse scans it.
can_hand_over_outside_visit = has_role(Role.TECHNICIAN)
can_view_inventory = has_role(Role.WAREHOUSE, Role.TECHNICIAN, Role.HELPDESK, Role.COORDINATOR, Role.ADMIN)
# A recall lists citizens: the roles that may see citizens and have a reason to call them.
can_recall = has_role(Role.HELPDESK, Role.COORDINATOR)

# Courses: who may see them follows the citizen; the services check the organisation (the lead, the receiver).
can_view_courses = can_view_citizens
# Pausing and ending are decisions (a nurse's only for courses her organisation leads: the service checks it); the
# course's state itself follows the journey and is never set by hand.
can_pause_course = has_role(Role.HELPDESK, Role.COORDINATOR, Role.NURSE)
can_end_course = has_role(Role.HELPDESK, Role.COORDINATOR, Role.NURSE)
can_hand_over = has_role(Role.NURSE, Role.HELPDESK, Role.COORDINATOR)
# Training: the helpdesk on the phone, nurses and technicians in the home train citizens and relatives.
can_record_training = has_role(Role.HELPDESK, Role.NURSE, Role.TECHNICIAN)
can_view_follow_ups = has_role(Role.HELPDESK, Role.COORDINATOR)
can_view_competence = has_role(Role.COORDINATOR, Role.ADMIN, Role.HELPDESK)
can_record_staff_training = has_role(Role.COORDINATOR, Role.ADMIN)
can_manage_programmes = has_role(Role.ADMIN, Role.COORDINATOR)
can_view_indicators = has_role(Role.COORDINATOR, Role.ADMIN)
# The monthly report: the coordinators explain its deviations and release it to the steering group.
can_write_reports = has_role(Role.COORDINATOR)
# Devices that do not come back: the helpdesk calls the citizens; the coordinator decides the write-off.
can_follow_non_returns = has_role(Role.COORDINATOR, Role.HELPDESK)
can_write_off = has_role(Role.COORDINATOR)

# Dispatch: nurses request visits; the helpdesk books and plans; coordinators set up technicians; technicians
# work their own route (the service checks it is theirs).
can_request_visits = has_role(Role.NURSE, Role.HELPDESK)
can_dispatch = has_role(Role.HELPDESK, Role.COORDINATOR)
can_manage_technicians = has_role(Role.COORDINATOR, Role.ADMIN)
can_work_visits = has_role(Role.TECHNICIAN)
# The planner prints any technician's route sheet; a technician their own (the view checks whose it is).
can_print_route_sheet = has_role(Role.HELPDESK, Role.COORDINATOR, Role.TECHNICIAN)

# Support: the helpdesk works tickets; coordinators too, and they set up SLA, groups, canned responses and the
# knowledge base; technicians read the knowledge base.
can_work_tickets = has_role(Role.HELPDESK, Role.COORDINATOR)
can_manage_support = has_role(Role.COORDINATOR, Role.ADMIN)
can_read_kb = has_role(Role.HELPDESK, Role.COORDINATOR, Role.TECHNICIAN, Role.ADMIN)
can_edit_kb = has_role(Role.HELPDESK, Role.COORDINATOR, Role.ADMIN)

# Knowledge: which equipment is best (counts per device model, no citizen in them) for those who choose, buy and keep
# the equipment. Experience notes are read and written by the service center's staff whose work they are about;
# nurses (outside the center) and admins (who run the system, not the service) get neither.
can_compare_equipment = has_role(Role.COORDINATOR, Role.WAREHOUSE, Role.ADMIN)
can_read_notes = has_role(Role.COORDINATOR, Role.HELPDESK, Role.TECHNICIAN, Role.WAREHOUSE)
can_write_notes = has_role(Role.COORDINATOR, Role.HELPDESK, Role.TECHNICIAN, Role.WAREHOUSE)
