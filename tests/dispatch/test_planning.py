"""Planning a day: pre-checks with their reasons, skills and locks, overloaded days, the validator, Solomon."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from dispatch.planning.model import (
    LOCKED_TECHNICIAN_UNKNOWN,
    NO_CAPACITY,
    NO_LOCATION,
    NO_SKILL,
    NO_TIME,
    WINDOW_IMPOSSIBLE,
    Plan,
    PlannedStop,
    Point,
    Route,
    Stop,
    Technician,
)
from dispatch.planning.solomon import TIME_SCALE, read_instance
from dispatch.planning.solver import plan_day
from dispatch.planning.travel import HaversineProvider, PlanarProvider
from dispatch.planning.validate import violations

# One public Solomon instance and its best-known distance, copied from ../shared/data/solomon (README there), so the
# test runs on a clone that has only the repository.
SOLOMON = Path(__file__).resolve().parent / "fixtures" / "solomon"
AARHUS = Point(lat=56.1567, lon=10.2108)
DAY = (8 * 60, 16 * 60)
SECONDS = 0.5


def near(north_km: float, east_km: float) -> Point:
    """A point this many kilometres from Aarhus."""
    return Point(lat=AARHUS.lat + north_km / 111.2, lon=AARHUS.lon + east_km / 62.0)


def xy(x: float, y: float) -> Point:
    """A point for the planar provider: one unit of distance is one minute of driving."""
    return Point(lat=y, lon=x)


def visit(stop_id: str, point: Point | None, window=(8 * 60, 16 * 60), minutes: int = 30, **more) -> Stop:
    return Stop(stop_id, point, minutes, window, **more)


def planned_by(plan: Plan) -> dict[str, str]:
    return {p.stop_id: r.technician_id for r in plan.routes for p in r.stops}


def reasons(plan: Plan) -> dict[str, str]:
    return {u.stop_id: u.reason for u in plan.unplanned}


# --- a small day ------------------------------------------------------------------------------------------------

def test_a_small_day_is_planned_completely_and_passes_the_validator():
    technicians = [Technician("anna", AARHUS, DAY), Technician("bo", AARHUS, DAY)]
    stops = [visit(f"s{i}", near(3 * i, 5 - 2 * i), window=(480 + 60 * i, 600 + 60 * i), minutes=45)
             for i in range(6)]
    provider = HaversineProvider()

    plan = plan_day(stops, technicians, provider, seconds=SECONDS)

    assert sorted(planned_by(plan)) == sorted(s.id for s in stops)
    assert plan.unplanned == []
    assert violations(plan, stops, technicians, provider) == []
    assert plan.distance_m == pytest.approx(sum(r.distance_m for r in plan.routes))
    for route in plan.routes:
        assert DAY[0] <= route.leaves_at < route.stops[0].arrival <= route.stops[0].start
        assert route.returns_at <= DAY[1]


def test_minimising_driving_time_instead_of_distance_also_gives_a_valid_plan():
    technicians = [Technician("anna", AARHUS, DAY)]
    stops = [visit(f"s{i}", near(2 * i, -i)) for i in range(4)]
    provider = HaversineProvider()

    plan = plan_day(stops, technicians, provider, seconds=SECONDS, objective="duration")

    assert len(planned_by(plan)) == 4
    assert violations(plan, stops, technicians, provider) == []


def test_progress_is_reported_while_solving():
    calls = []
    stops, technicians, provider = read_instance(SOLOMON / "c101.txt")  # a day that keeps the search busy

    plan_day(stops, technicians, provider, seconds=1.2,
             on_progress=lambda fraction, best: calls.append((fraction, best)))

    assert len(calls) >= 3
    assert all(0 <= fraction <= 1 for fraction, _ in calls)
    assert calls[-1][0] == 1.0 and calls[-1][1] > 0


def test_a_day_solved_early_still_ends_its_progress_at_one():
    calls = []
    stops = [visit(f"s{i}", near(i, i)) for i in range(5)]

    plan = plan_day(stops, [Technician("anna", AARHUS, DAY)], HaversineProvider(), seconds=5,
                    on_progress=lambda fraction, best: calls.append((fraction, best)))

    assert plan.seconds < 2.5
    assert calls[-1][0] == 1.0 and calls[-1][1] > 0


# --- what cannot be planned, and why ----------------------------------------------------------------------------

def test_stop_without_coordinates_is_unplanned_with_no_location():
    stops = [visit("lost", None), visit("found", near(1, 1))]

    plan = plan_day(stops, [Technician("anna", AARHUS, DAY)], HaversineProvider(), seconds=SECONDS)

    assert reasons(plan) == {"lost": NO_LOCATION}
    assert planned_by(plan) == {"found": "anna"}


@pytest.mark.parametrize("window", [(700, 600), (8 * 60, 8 * 60 + 5), (17 * 60, 18 * 60)],
                         ids=["empty", "cannot be reached in time", "after the shift"])
def test_impossible_window_is_unplanned_with_window_impossible(window):
    stops = [visit("odd", near(20, 0), window=window)]  # 26 km of road: half an hour's drive

    plan = plan_day(stops, [Technician("anna", AARHUS, DAY)], HaversineProvider(), seconds=SECONDS)

    assert reasons(plan) == {"odd": WINDOW_IMPOSSIBLE}
    assert plan.routes == []


def test_skill_nobody_has_is_unplanned_with_no_skill():
    stops = [visit("spiro", near(1, 1), skills=frozenset({"spirometry"}))]

    plan = plan_day(stops, [Technician("anna", AARHUS, DAY, skills=frozenset({"ecg"}))], HaversineProvider(),
                    seconds=SECONDS)

    assert reasons(plan) == {"spiro": NO_SKILL}


def test_stop_locked_to_a_technician_not_working_is_unplanned():
    stops = [visit("mine", near(1, 1), locked_to="carl")]

    plan = plan_day(stops, [Technician("anna", AARHUS, DAY)], HaversineProvider(), seconds=SECONDS)

    assert reasons(plan) == {"mine": LOCKED_TECHNICIAN_UNKNOWN}


def test_demand_beyond_every_capacity_is_unplanned_with_no_capacity():
    stops = [visit("heavy", near(1, 1), demand=5)]

    plan = plan_day(stops, [Technician("anna", AARHUS, DAY, capacity=3)], HaversineProvider(), seconds=SECONDS)

    assert reasons(plan) == {"heavy": NO_CAPACITY}


# --- skills and locks decide who goes -----------------------------------------------------------------------------

FAR = near(0, 40)


def _near_and_far_technicians(**far_skills) -> list[Technician]:
    """Anna lives next to the stops; Bo's depot is 40 km away, so only a rule sends him."""
    return [Technician("anna", AARHUS, DAY), Technician("bo", FAR, DAY, **far_skills)]


def test_stop_needing_a_skill_is_served_only_by_a_technician_who_has_it():
    stops = [visit("spiro", near(1, 0), skills=frozenset({"spirometry"})), visit("plain", near(0, 1))]
    technicians = _near_and_far_technicians(skills=frozenset({"spirometry"}))
    provider = HaversineProvider()

    plan = plan_day(stops, technicians, provider, seconds=SECONDS)

    assert planned_by(plan)["spiro"] == "bo"
    assert plan.unplanned == []
    assert violations(plan, stops, technicians, provider) == []


def test_stop_locked_to_a_technician_is_served_by_that_technician():
    stops = [visit("locked", near(1, 0), locked_to="bo"), visit("free", near(0, 1))]
    technicians = _near_and_far_technicians()
    provider = HaversineProvider()

    plan = plan_day(stops, technicians, provider, seconds=SECONDS)

    assert planned_by(plan)["locked"] == "bo"
    assert plan.unplanned == []
    assert violations(plan, stops, technicians, provider) == []


# --- more work than time --------------------------------------------------------------------------------------------

def test_more_work_than_time_leaves_some_out_with_no_time_and_the_rest_is_valid():
    technicians = [Technician("anna", xy(0, 0), DAY)]
    stops = [visit(f"s{i:02}", xy(i % 4, i // 4), minutes=60) for i in range(12)]  # 12 hours of work, 8 of shift
    provider = PlanarProvider()

    plan = plan_day(stops, technicians, provider, seconds=SECONDS)

    assert 5 <= len(planned_by(plan)) < 8
    assert set(reasons(plan).values()) == {NO_TIME}
    assert len(planned_by(plan)) + len(plan.unplanned) == 12
    assert violations(plan, stops, technicians, provider) == []


def test_when_only_one_of_two_fits_the_higher_priority_goes():
    technicians = [Technician("anna", xy(0, 0), DAY)]
    same_time = (10 * 60, 10 * 60)
    stops = [visit("routine", xy(10, 0), window=same_time, minutes=60),
             visit("urgent", xy(-10, 0), window=same_time, minutes=60, priority=5)]

    plan = plan_day(stops, technicians, PlanarProvider(), seconds=SECONDS)

    assert planned_by(plan) == {"urgent": "anna"}
    assert reasons(plan) == {"routine": NO_TIME}


def test_bad_arguments_are_refused():
    stops = [visit("a", xy(1, 1)), visit("a", xy(2, 2))]
    with pytest.raises(ValueError, match="share an id"):
        plan_day(stops, [Technician("anna", xy(0, 0), DAY)], PlanarProvider(), seconds=SECONDS)
    with pytest.raises(ValueError, match="objective"):
        plan_day(stops[:1], [Technician("anna", xy(0, 0), DAY)], PlanarProvider(), objective="happiness")


# --- the validator can fail -----------------------------------------------------------------------------------------

TECHS = [Technician("anna", xy(0, 0), DAY), Technician("bo", xy(0, 0), DAY, skills=frozenset({"spirometry"}))]
STOPS = [visit("a", xy(10, 0), window=(500, 560)), visit("b", xy(10, 10), window=(500, 600)),
         visit("s", xy(0, 10), skills=frozenset({"spirometry"}), locked_to="bo")]


def _valid_plan() -> Plan:
    anna = Route("anna", [PlannedStop("a", 500, 500, 530), PlannedStop("b", 540, 540, 570)],
                 distance_m=10 + 10 + 200 ** 0.5, driving_minutes=34, leaves_at=490, returns_at=585)
    bo = Route("bo", [PlannedStop("s", 490, 490, 520)], distance_m=20, driving_minutes=20, leaves_at=480,
               returns_at=530)
    return Plan([anna, bo], [], anna.distance_m + bo.distance_m, 0.1)


def _with_route(plan: Plan, index: int, **changes) -> Plan:
    routes = list(plan.routes)
    routes[index] = dataclasses.replace(routes[index], **changes)
    return dataclasses.replace(plan, routes=routes, distance_m=sum(r.distance_m for r in routes))


def _with_stop(plan: Plan, index: int, position: int, **changes) -> Plan:
    stops = list(plan.routes[index].stops)
    stops[position] = dataclasses.replace(stops[position], **changes)
    return _with_route(plan, index, stops=stops)


def test_the_hand_made_plan_is_valid():
    assert violations(_valid_plan(), STOPS, TECHS, PlanarProvider()) == []


@pytest.mark.parametrize(("broken", "expected"), [
    (lambda p: _with_stop(p, 0, 0, start=561, end=591), "outside its window"),
    (lambda p: _with_stop(p, 0, 1, arrival=535, start=535, end=565), "sooner than the drive allows"),
    (lambda p: _with_stop(p, 0, 0, end=520), "minutes of service"),
    (lambda p: _with_route(p, 0, returns_at=17 * 60), "after the shift ends"),
    (lambda p: _with_route(p, 0, leaves_at=7 * 60), "before the shift starts"),
    (lambda p: _with_route(p, 0, distance_m=1.0), "long, not"),
    (lambda p: dataclasses.replace(p, routes=[p.routes[0], Route("anna", p.routes[1].stops, 20, 20, 480, 530)]),
     "lacks"),
    (lambda p: dataclasses.replace(p, routes=[p.routes[0], Route("anna", p.routes[1].stops, 20, 20, 480, 530)]),
     "locked to bo"),
    (lambda p: _with_route(p, 1, stops=[*p.routes[1].stops, PlannedStop("a", 540, 540, 570)]), "appears 2 times"),
    (lambda p: _with_route(p, 1, stops=[]), "neither planned nor listed"),
], ids=["late start", "too soon", "short service", "back late", "leaves early", "distance", "wrong skill",
        "broken lock", "stop twice", "stop missing"])
def test_the_validator_catches_hand_made_violations(broken, expected):
    found = violations(broken(_valid_plan()), STOPS, TECHS, PlanarProvider())

    assert any(expected in v for v in found), found


def test_the_validator_catches_capacity():
    technicians = [Technician("anna", xy(0, 0), DAY, capacity=1)]
    stops = [visit("a", xy(10, 0), demand=1), visit("b", xy(10, 10), demand=1)]
    plan = Plan([Route("anna", [PlannedStop("a", 490, 490, 520), PlannedStop("b", 530, 530, 560)],
                       20 + 200 ** 0.5, 34, 480, 575)], [], 20 + 200 ** 0.5, 0.1)

    assert any("capacity" in v for v in violations(plan, stops, technicians, PlanarProvider()))


# --- interactive speed: stopping when nothing improves, starting from the last plan --------------------------------

def test_a_one_stop_day_answers_long_before_the_time_limit():
    # given one visit and the office's 10 s limit
    stops = [visit("only", near(3, 4))]
    # when it is planned
    plan = plan_day(stops, [Technician("anna", AARHUS, DAY)], HaversineProvider(), seconds=10)
    # then it is planned, and the search stopped once nothing improved instead of waiting for the limit
    assert planned_by(plan) == {"only": "anna"}
    assert plan.seconds < 2.0


def _routes_of(plan: Plan) -> dict[str, list[str]]:
    return {r.technician_id: [p.stop_id for p in r.stops] for r in plan.routes}


def test_re_optimising_from_the_last_plan_is_never_worse_than_it():
    # given a plan of c101 made with a second and a half
    stops, technicians, provider = read_instance(SOLOMON / "c101.txt")
    first = plan_day(stops, technicians, provider, seconds=1.5)
    # when the day is optimised again from that plan with a fraction of the time (and another seed)
    again = plan_day(stops, technicians, provider, seconds=0.3, seed=7, initial=_routes_of(first))
    # then nothing is lost and the routes are at least as short
    assert again.unplanned == []
    assert violations(again, stops, technicians, provider) == []
    assert again.distance_m <= first.distance_m * (1 + 1e-9)


def test_a_warm_start_that_no_longer_fits_the_day_is_mended():
    # given a last plan naming a visit that is gone, a spirometry visit on Anna (who lacks the skill now) and
    # Carl, who is not on duty today
    technicians = _near_and_far_technicians(skills=frozenset({"spirometry"}))
    stops = [visit("spiro", near(1, 0), skills=frozenset({"spirometry"})), visit("plain", near(0, 1)),
             visit("new", near(1, 1))]
    last = {"anna": ["gone", "spiro", "plain"], "carl": ["new"]}
    provider = HaversineProvider()
    # when the day is planned from it
    plan = plan_day(stops, technicians, provider, seconds=SECONDS, initial=last)
    # then every visit is planned by someone allowed to, and the plan is valid
    assert planned_by(plan)["spiro"] == "bo"
    assert sorted(planned_by(plan)) == ["new", "plain", "spiro"]
    assert violations(plan, stops, technicians, provider) == []


# --- Solomon --------------------------------------------------------------------------------------------------------

def test_solomon_reader_on_c101_and_the_validator_accepts_a_solution():
    stops, technicians, provider = read_instance(SOLOMON / "c101.txt")

    assert len(stops) == 100 and len(technicians) == 25
    assert technicians[0].shift == (0, 1236 * TIME_SCALE) and technicians[0].capacity == 200
    assert stops[0] == Stop("1", Point(lat=68, lon=45), 90 * TIME_SCALE, (912 * TIME_SCALE, 967 * TIME_SCALE),
                            demand=10)

    plan = plan_day(stops, technicians, provider, seconds=1.5)

    assert plan.unplanned == []
    assert violations(plan, stops, technicians, provider) == []
    with (SOLOMON / "bks_distance_only.csv").open() as f:
        best_known = next(float(r["distance"]) for r in csv.DictReader(f) if r["instance"] == "c101")
    assert best_known - 0.01 <= plan.distance_m <= best_known * 1.02
