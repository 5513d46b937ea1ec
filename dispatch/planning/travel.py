"""Travel times and distances between points: haversine (offline default), OSRM's table service, and planar."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from typing import Protocol

from dispatch.planning.model import Point

Matrices = tuple[list[list[float]], list[list[float]]]
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


class TravelTimeError(Exception):
    """The travel-time source could not give a complete matrix (unreachable, refused, timed out)."""


class TravelTimeProvider(Protocol):
    def matrix(self, points: list[Point]) -> Matrices:
        """(durations in minutes, distances in metres), both [from][to]."""


class HaversineProvider:
    """Great-circle distance times a road factor, driven at an average speed. Needs no network."""

    def __init__(self, road_factor: float = 1.3, speed_kmh: float = 50.0) -> None:
        self.road_factor = road_factor
        self.speed_kmh = speed_kmh

    def matrix(self, points: list[Point]) -> Matrices:
        distances = [[self.road_factor * haversine_m(a, b) for b in points] for a in points]
        metres_per_minute = self.speed_kmh * 1000 / 60
        durations = [[d / metres_per_minute for d in row] for row in distances]
        return durations, distances


class PlanarProvider:
    """Euclidean distance on x = lon, y = lat in double precision, in the coordinates' units; travel time equals
    distance × `time_scale` (Solomon instances: see dispatch/planning/solomon.py)."""

    def __init__(self, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale

    def matrix(self, points: list[Point]) -> Matrices:
        distances = [[math.dist((a.lon, a.lat), (b.lon, b.lat)) for b in points] for a in points]
        return [[d * self.time_scale for d in row] for row in distances], distances


class OsrmProvider:
    """OSRM's table service (`/table/v1/driving/...`). Large requests are split into blocks of sources and
    destinations, because OSRM refuses tables beyond its `--max-table-size` (100 by default)."""

    def __init__(self, base_url: str, timeout: float = 10.0, max_table_size: int = 100) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_table_size = max_table_size

    def matrix(self, points: list[Point]) -> Matrices:
        n = len(points)
        durations = [[0.0] * n for _ in range(n)]
        distances = [[0.0] * n for _ in range(n)]
        coordinates = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)
        blocks = [list(range(i, min(i + self.max_table_size, n))) for i in range(0, n, self.max_table_size)]
        for sources in blocks:
            for destinations in blocks:
                body = self._table(coordinates, sources, destinations, whole=len(blocks) == 1)
                _fill(durations, body, "durations", sources, destinations, 1 / 60)
                _fill(distances, body, "distances", sources, destinations, 1.0)
        return durations, distances

    def _table(self, coordinates: str, sources: list[int], destinations: list[int], *, whole: bool) -> dict:
        url = f"{self.base_url}/table/v1/driving/{coordinates}?annotations=duration,distance"
        if not whole:
            url += f"&sources={';'.join(map(str, sources))}&destinations={';'.join(map(str, destinations))}"
        body = _get_json(url, self.timeout)
        if body.get("code") != "Ok":
            raise TravelTimeError(f"OSRM refused the table request: {body.get('code')}: {body.get('message', '')}")
        return body


def _get_json(url: str, timeout: float) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - URL from our configuration
            return _parse(response.read())
    except urllib.error.HTTPError as error:
        body = _parse(error.read(), strict=False)
        raise TravelTimeError(f"OSRM answered HTTP {error.code}: {body.get('code', '')}: "
                              f"{body.get('message', error.reason)}") from error
    except OSError as error:  # URLError, TimeoutError, connection resets
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise TravelTimeError(f"OSRM did not answer within {timeout} s") from error
        raise TravelTimeError(f"OSRM could not be reached: {reason}") from error


def _parse(raw: bytes, *, strict: bool = True) -> dict:
    try:
        body = json.loads(raw)
    except ValueError as error:
        if not strict:
            return {}
        raise TravelTimeError("OSRM answered with something that is not JSON") from error
    return body if isinstance(body, dict) else {}


def _fill(target: list[list[float]], body: dict, key: str, sources: list[int], destinations: list[int],
          factor: float) -> None:
    rows = body.get(key)
    if not isinstance(rows, list) or len(rows) != len(sources):
        raise TravelTimeError(f"OSRM answered without a complete '{key}' table")
    for i, row in zip(sources, rows, strict=True):
        if len(row) != len(destinations):
            raise TravelTimeError(f"OSRM answered without a complete '{key}' table")
        for j, value in zip(destinations, row, strict=True):
            if value is None:
                raise TravelTimeError(f"OSRM found no route from point {i} to point {j}")
            target[i][j] = value * factor


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def provider_from_config(config: dict) -> TravelTimeProvider:
    """TRAVEL_PROVIDER: "haversine" (default; TRAVEL_ROAD_FACTOR, TRAVEL_SPEED_KMH) or "osrm" (OSRM_URL,
    OSRM_TIMEOUT)."""
    kind = config.get("TRAVEL_PROVIDER", "haversine")
    if kind == "haversine":
        return HaversineProvider(float(config.get("TRAVEL_ROAD_FACTOR", 1.3)),
                                 float(config.get("TRAVEL_SPEED_KMH", 50.0)))
    if kind == "osrm":
        if not config.get("OSRM_URL"):
            raise ValueError("TRAVEL_PROVIDER is 'osrm' but OSRM_URL is not set")
        return OsrmProvider(config["OSRM_URL"], float(config.get("OSRM_TIMEOUT", 10.0)))
    raise ValueError(f"Unknown TRAVEL_PROVIDER {kind!r}: use 'haversine' or 'osrm'")
