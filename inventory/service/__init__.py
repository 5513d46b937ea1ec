"""Inventory services. Other features use inventory only through what this package exports."""

from inventory.service.calibration import (  # noqa: F401
    DUE_SOON_DAYS,
    DueDevice,
    count_due,
    device_due_on,
    list_due,
    record_calibration,
)
from inventory.service.catalog import (  # noqa: F401
    DeviceData,
    course_holder,
    create_device_model,
    create_holder,
    get_device_model,
    get_holder,
    list_holders,
    next_tag,
    normalise_iccid,
    pair_sim,
    register_device,
    register_sim,
    set_firmware,
    set_kit_template,
    set_location,
    update_device_model,
)
from inventory.service.homes import HomeDevice, devices_in_home, home_facts, home_of_device  # noqa: F401
from inventory.service.kit_queries import HOMES, KIT_STATES, kit_history, list_kits  # noqa: F401
from inventory.service.kits import (  # noqa: F401
    create_kit,
    get_kit,
    pack,
    packing_state,
    remove_from_kit,
    replace_member,
    split_kits,
    swap_member,
    tags_behind,
)
from inventory.service.operations import OPERATIONS, Context  # noqa: F401
from inventory.service.places import (  # noqa: F401
    is_place_tag,
    place_by_tag,
    place_for,
    place_tag,
    van_of_user,
)
from inventory.service.queries import (  # noqa: F401
    CustodyAt,
    custody_at,
    device_signoffs,
    device_timeline,
    find_devices,
    firmware_history,
    get_device,
    get_device_by_id,
    held_by_citizen_at,
    holder_at,
    holding_counts,
    holdings,
    list_devices,
    list_models,
    recall,
)
from inventory.service.reservations import release, replace_reserved, reserve  # noqa: F401
from inventory.service.scanning import ScanResult, scan  # noqa: F401
from inventory.service.sims import (  # noqa: F401
    find_sim,
    get_sim,
    list_sims,
    reactivate_sim,
    sim_of_device,
    sim_pairings,
    sim_state_history,
    suspend_sim,
)
from inventory.service.stock import low_stock, ready_kits, ready_spare, set_minimum, stock_lines  # noqa: F401
from inventory.service.verify import add_reservation_claims, verify_ledger  # noqa: F401
