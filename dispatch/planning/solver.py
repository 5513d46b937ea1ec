"""Plan a day: pre-check the stops, solve the rest with PyVRP within a time limit, and turn its routes into a Plan."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

from pyvrp import ProblemData, Solution, solve
from pyvrp.exceptions import PenaltyBoundWarning

from dispatch.planning.checks import screen
from dispatch.planning.model import NO_TIME, Plan, Route, Stop, Technician, Unplanned
from dispatch.planning.network import Network, build_network
from dispatch.planning.problem import Problem, all_required, build_problem, in_data, warm_start
from dispatch.planning.schedule import fit_route
from dispatch.planning.travel import TravelTimeProvider

Progress = Callable[[float, float], None]
OBJECTIVES = ("distance", "duration")
PROGRESS_EVERY = 0.5  # seconds between progress reports while the solver runs
FINISH_MARGIN = 0.15  # seconds kept back from the limit: the last iteration and building the Plan (on a busy machine)
COMPLETE_CHECK = 0.2  # share of the time searched with optional visits before trying all required ...
COMPLETE_MAX_MISSING = 0.1  # ... if the optional search left out at most this share of the visits ...
COMPLETE_GIVE_UP = 0.6  # ... until this share of the time, unless it has found a complete plan by then
# A phase of the search ends after this many iterations per visit (at least STALL_MIN) without a better plan. A small
# day has nothing left to find after a few milliseconds, so a one-stop day answers at once instead of at the limit;
# a 100-visit day (30,000 iterations, 0.3-1 ms each here) is cut short only when it has been stuck for 10 s or so.
STALL_PER_VISIT = 300
STALL_MIN = 1_000


def plan_day(stops: list[Stop], technicians: list[Technician], provider: TravelTimeProvider, *,
             seconds: float = 10.0, seed: int = 1, on_progress: Progress | None = None,
             objective: str = "distance", initial: dict[str, list[str]] | None = None) -> Plan:
    """Routes for the technicians that serve as many stops as possible (priority weighs), then drive the least
    distance (or time, with objective="duration"), within `seconds` of wall time, sooner when the search stops
    finding better plans (STALL_PER_VISIT). `initial` (technician id -> stop ids in order: the day's last plan)
    is where the search starts when re-optimising; the answer is never worse than what of it still fits."""
    started = time.perf_counter()
    _check_input(stops, technicians, objective)
    network = build_network(technicians, stops, provider)
    allowed, unplanned = screen(stops, technicians, network)
    plannable = [s for s in stops if s.id in allowed]
    routes: list[Route] = []
    if plannable:
        problem = build_problem(plannable, technicians, allowed, network, objective=objective)
        clock = _Clock(started + seconds - FINISH_MARGIN, problem, on_progress)
        solution = _search(problem, clock, seed, warm_start(problem, initial or {}, allowed))
        if on_progress:
            clock.report(time.perf_counter(), done=True)
        routes, left_out = _routes(solution, problem, allowed, network)
        unplanned += [Unplanned(s.id, NO_TIME) for s in left_out]
    stop_ids, technician_ids = [s.id for s in stops], [t.id for t in technicians]
    unplanned.sort(key=lambda u: stop_ids.index(u.stop_id))
    routes.sort(key=lambda r: technician_ids.index(r.technician_id))
    return Plan(routes, unplanned, sum(r.distance_m for r in routes), time.perf_counter() - started)


def _check_input(stops: list[Stop], technicians: list[Technician], objective: str) -> None:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    for kind, ids in (("stop", [s.id for s in stops]), ("technician", [t.id for t in technicians])):
        if len(set(ids)) != len(ids):
            raise ValueError(f"Two {kind}s share an id")


class _Clock:
    """The time budget of one plan across the search's phases. PyVRP calls it as its stopping criterion once per
    iteration (every few milliseconds) with the best cost; it reports progress every PROGRESS_EVERY seconds and
    ends a phase that has stopped improving."""

    def __init__(self, deadline: float, problem: Problem, on_progress: Progress | None) -> None:
        self.started = time.perf_counter()
        self.deadline = deadline
        self.problem = problem
        self.on_progress = on_progress
        self.next_report = self.started
        self.best_cost = math.inf
        self.until = self.give_up_at = deadline
        self.phase_best, self.idle = math.inf, 0
        self.stall = max(STALL_MIN, STALL_PER_VISIT * len(problem.stops))

    def at(self, share: float) -> float:
        return self.started + share * (self.deadline - self.started)

    def run(self, data: ProblemData, seed: int, initial: Solution | None = None, *, until: float | None = None,
            give_up_at: float | None = None) -> Solution:
        """Solve until `until` (the deadline by default), or until `give_up_at` if by then no plan serves every
        visit."""
        self.until = min(until or self.deadline, self.deadline)
        self.give_up_at = give_up_at or self.deadline
        self.phase_best, self.idle = math.inf, 0
        result = solve(data, stop=self, seed=seed, collect_stats=False, display=False, initial_solution=initial)
        return result.best

    def __call__(self, best_cost: int) -> bool:
        now = time.perf_counter()
        self.best_cost = min(self.best_cost, best_cost)
        self.idle = 0 if best_cost < self.phase_best else self.idle + 1
        self.phase_best = min(self.phase_best, best_cost)
        if self.on_progress and now >= self.next_report:
            self.report(now)
        incomplete = best_cost >= self.problem.prize_unit
        return now >= self.until or (incomplete and now >= self.give_up_at) or self.idle >= self.stall

    def report(self, now: float, *, done: bool = False) -> None:
        """Progress as (share of the time used, distance of the best plan so far): the cost's remainder after the
        prizes of left-out visits; infinite while there is no valid plan yet. A finished plan reports 1, also when
        its search stopped early."""
        fraction = 1.0 if done else min(1.0, (now - self.started) / max(1e-9, self.deadline - self.started))
        valid = self.best_cost < 2**62
        distance = (self.best_cost % self.problem.prize_unit) / self.problem.cost_scale if valid else math.inf
        self.on_progress(fraction, distance)
        self.next_report = now + PROGRESS_EVERY


def _search(problem: Problem, clock: _Clock, seed: int, initial: Solution | None) -> Solution:
    """Visits are optional, so an overloaded day still gets the most it can hold. PyVRP's search with optional
    visits, though, misses complete plans of tight days that it finds with every visit required (and iterates
    faster that way). So: optional first; if that serves all or nearly all visits, required from its plan on,
    and back to optional from the same plan if no complete plan turns up in time. A warm start (`initial`) is
    where the optional search begins; PyVRP keeps the best plan it has seen, so each phase ends no worse than it
    began."""
    best = clock.run(problem.data, seed, initial, until=clock.at(COMPLETE_CHECK))
    missing = problem.data.num_clients - best.num_clients()
    if missing <= max(1.0, COMPLETE_MAX_MISSING * len(problem.stops)):
        with warnings.catch_warnings():  # PyVRP warns when it finds no complete plan; here that is an answer
            warnings.simplefilter("ignore", PenaltyBoundWarning)
            required = all_required(problem.data)
            complete = clock.run(required, seed, in_data(best, required), give_up_at=clock.at(COMPLETE_GIVE_UP))
        if complete.is_complete() and complete.is_feasible():
            return complete
    return clock.run(problem.data, seed, best)


def _routes(solution: Solution, problem: Problem, allowed: dict[str, list[str]],
            network: Network) -> tuple[list[Route], list[Stop]]:
    """The solver's routes with the schedule recomputed from the network; a stop on the wrong technician's route
    (never, unless the solver's answer is infeasible) is taken off and reported as not fitting."""
    served: set[str] = set()
    routes, left_out = [], []
    for technician, stops in _assignments(solution, problem):
        wrong = [s for s in stops if technician.id not in allowed[s.id]]
        route, dropped = fit_route(technician, [s for s in stops if s not in wrong], network)
        routes += [route] if route else []
        left_out += wrong + dropped
        served.update(s.id for s in stops)
    left_out += [s for s in problem.stops if s.id not in served]
    return routes, left_out


def _assignments(solution: Solution, problem: Problem) -> list[tuple[Technician, list[Stop]]]:
    """Each solver route with its technician: the k-th route of a vehicle type goes to its k-th technician."""
    used = [0] * len(problem.technicians)
    assignments = []
    for route in solution.routes():
        kind = route.vehicle_type()
        technician = problem.technicians[kind][used[kind]]
        used[kind] += 1
        assignments.append((technician, [problem.stops[a.idx] for a in route.schedule() if a.is_client()]))
    return assignments
