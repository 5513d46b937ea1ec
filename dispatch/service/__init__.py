"""Dispatch services. Other features use dispatch only through what this package exports."""

from dispatch.service.allocation import needs_reservation, reserved_devices  # noqa: F401
from dispatch.service.confirm import confirm as citizen_confirms  # noqa: F401, E402
from dispatch.service.journey import on_course_ended, on_course_status, reservation_claims, visit_facts  # noqa: F401
from dispatch.service.planning import citizen_moved, open_slots  # noqa: F401, E402
from dispatch.service.visits import (  # noqa: F401
    FAILURE_LABELS,
    KIND_LABELS,
    OPEN,
    VISIT_STATUS,
    VisitListener,
    VisitRequest,
    add_listener,
    create_visit,
    get_visit,
    open_visits_of_citizen,
    open_visits_of_course,
    request_swap,
)
from dispatch.service.visits import cancel as cancel_visit  # noqa: F401, E402
