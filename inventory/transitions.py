"""The device status and SIM state machines: every allowed move, and nothing else."""

from __future__ import annotations

from inventory.models import DeviceStatus as S
from inventory.models import SimState
from servicecenter.errors import N_
from servicecenter.statuses import TransitionTable

DEVICE_STATUS = TransitionTable(
    "device",
    {
        S.RECEIVED: {S.READY, S.FAULTY, S.SCRAPPED},
        S.READY: {S.RESERVED, S.IN_VAN, S.AT_CITIZEN, S.FAULTY, S.LOST, S.SCRAPPED},
        S.RESERVED: {S.READY, S.IN_VAN, S.AT_CITIZEN, S.FAULTY, S.LOST},
        S.IN_VAN: {S.READY, S.AT_CITIZEN, S.FAULTY, S.LOST},
        # A device reaches a citizen only from ready (on the shelf, reserved or loaded clean): never from
        # returned, cleaning or testing.
        S.AT_CITIZEN: {S.RETURNED, S.LOST},
        S.RETURNED: {S.CLEANING, S.FAULTY, S.LOST, S.SCRAPPED},
        S.CLEANING: {S.TESTING, S.FAULTY},
        S.TESTING: {S.READY, S.FAULTY, S.CLEANING},  # failed inspection: clean again
        S.FAULTY: {S.REPAIR, S.SCRAPPED},
        S.REPAIR: {S.TESTING, S.SCRAPPED},
        S.LOST: {S.RETURNED, S.SCRAPPED},
        S.SCRAPPED: set(),
    },
    {
        S.RECEIVED: N_("received"), S.READY: N_("ready"), S.RESERVED: N_("reserved"), S.IN_VAN: N_("in van"),
        S.AT_CITIZEN: N_("at citizen"), S.RETURNED: N_("returned, not cleaned"), S.CLEANING: N_("in cleaning"),
        S.TESTING: N_("awaiting test"), S.FAULTY: N_("faulty"), S.REPAIR: N_("at repair"), S.LOST: N_("lost"),
        S.SCRAPPED: N_("scrapped"),
    },
)

SIM_STATE = TransitionTable(
    "sim",
    {
        SimState.ACTIVE: {SimState.SUSPENDED, SimState.TERMINATED},
        SimState.SUSPENDED: {SimState.ACTIVE, SimState.TERMINATED},
        SimState.TERMINATED: set(),
    },
    {SimState.ACTIVE: N_("active"), SimState.SUSPENDED: N_("suspended"), SimState.TERMINATED: N_("terminated")},
)
