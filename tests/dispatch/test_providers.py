"""Travel-time providers: haversine against known distances, and the OSRM provider's contract against recorded
table-service responses served by a real local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dispatch.planning.model import Point
from dispatch.planning.travel import (
    HaversineProvider,
    OsrmProvider,
    PlanarProvider,
    TravelTimeError,
    haversine_m,
    provider_from_config,
)

FIXTURES = Path(__file__).parent / "fixtures"
AARHUS = Point(lat=56.150386, lon=10.203959)
RANDERS = Point(lat=56.460648, lon=10.036432)
SILKEBORG = Point(lat=56.169705, lon=9.545987)
ANHOLT = Point(lat=56.716980, lon=11.534170)


# --- haversine ------------------------------------------------------------------------------------------------

def test_haversine_aarhus_randers_is_about_35_km_straight_and_a_road_factor_longer():
    straight = haversine_m(AARHUS, RANDERS)
    durations, distances = HaversineProvider(road_factor=1.3, speed_kmh=50.0).matrix([AARHUS, RANDERS])

    assert 34_500 < straight < 36_500
    assert distances[0][1] == pytest.approx(1.3 * straight)
    assert durations[0][1] == pytest.approx(distances[0][1] / 1000 / 50 * 60)


def test_haversine_matrix_is_symmetric_with_a_zero_diagonal():
    points = [AARHUS, RANDERS, SILKEBORG]
    durations, distances = HaversineProvider().matrix(points)

    for i in range(3):
        assert durations[i][i] == distances[i][i] == 0
        for j in range(3):
            assert distances[i][j] == pytest.approx(distances[j][i])
            assert durations[i][j] == pytest.approx(durations[j][i])


def test_planar_provider_is_euclidean_with_time_scaled_from_distance():
    durations, distances = PlanarProvider(time_scale=1000).matrix([Point(lat=0, lon=0), Point(lat=4, lon=3)])

    assert distances[0][1] == 5.0
    assert durations[0][1] == 5000.0


# --- configuration ----------------------------------------------------------------------------------------------

def test_provider_from_config_defaults_to_haversine():
    assert isinstance(provider_from_config({}), HaversineProvider)


def test_provider_from_config_picks_osrm_with_its_url():
    provider = provider_from_config({"TRAVEL_PROVIDER": "osrm", "OSRM_URL": "http://osrm.local:5000/"})

    assert isinstance(provider, OsrmProvider)
    assert provider.base_url == "http://osrm.local:5000"


@pytest.mark.parametrize("config", [{"TRAVEL_PROVIDER": "osrm"}, {"TRAVEL_PROVIDER": "google"}])
def test_provider_from_config_refuses_what_it_cannot_build(config):
    with pytest.raises(ValueError, match="OSRM_URL|Unknown"):
        provider_from_config(config)


# --- OSRM against recorded responses ----------------------------------------------------------------------------

class _Recorded(BaseHTTPRequestHandler):
    """Serves the server's `answer(path, query) -> (status, body, delay)` and records each request path."""

    def do_GET(self):  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        self.server.requests.append(self.path)
        status, body, delay = self.server.answer(url.path, parse_qs(url.query))
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left, as the timeout test intends

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm():
    """A real HTTP server on 127.0.0.1; tests set `answer` and read `requests`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    server.daemon_threads = True
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server, prefix: str = "") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{prefix}"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_osrm_asks_the_table_service_for_durations_and_distances_and_converts_seconds_to_minutes(osrm):
    osrm.answer = lambda path, query: (200, _fixture("osrm_table_ok.json"), 0)
    recorded = json.loads(_fixture("osrm_table_ok.json"))

    durations, distances = OsrmProvider(_url(osrm, "/osrm/")).matrix([AARHUS, RANDERS, SILKEBORG])

    path, query = osrm.requests[0].split("?")
    assert path == ("/osrm/table/v1/driving/10.203959,56.150386;10.036432,56.460648;9.545987,56.169705")
    assert parse_qs(query) == {"annotations": ["duration,distance"]}
    assert durations[0][1] == pytest.approx(1652.3 / 60)
    assert durations == [[pytest.approx(s / 60) for s in row] for row in recorded["durations"]]
    assert distances == recorded["distances"]


def test_osrm_splits_a_table_larger_than_the_server_allows_into_blocks(osrm):
    recorded = json.loads(_fixture("osrm_table_ok.json"))

    def block(path, query):
        sources = [int(i) for i in query["sources"][0].split(";")]
        destinations = [int(j) for j in query["destinations"][0].split(";")]
        body = {"code": "Ok", **{key: [[recorded[key][i][j] for j in destinations] for i in sources]
                                 for key in ("durations", "distances")}}
        return 200, json.dumps(body).encode(), 0

    osrm.answer = block

    durations, distances = OsrmProvider(_url(osrm), max_table_size=2).matrix([AARHUS, RANDERS, SILKEBORG])

    assert len(osrm.requests) == 4
    assert distances == recorded["distances"]
    assert durations[2][1] == pytest.approx(2903.2 / 60)


def test_osrm_error_response_raises_a_clear_error(osrm):
    osrm.answer = lambda path, query: (400, _fixture("osrm_invalid_query.json"), 0)

    with pytest.raises(TravelTimeError, match="HTTP 400: InvalidQuery: Query string malformed"):
        OsrmProvider(_url(osrm)).matrix([AARHUS, RANDERS])


def test_osrm_code_other_than_ok_raises(osrm):
    osrm.answer = lambda path, query: (200, b'{"code": "NoTable", "message": "No table found"}', 0)

    with pytest.raises(TravelTimeError, match="NoTable"):
        OsrmProvider(_url(osrm)).matrix([AARHUS, RANDERS])


def test_osrm_null_entry_means_unreachable(osrm):
    osrm.answer = lambda path, query: (200, _fixture("osrm_table_unreachable.json"), 0)

    with pytest.raises(TravelTimeError, match="no route from point 0 to point 2"):
        OsrmProvider(_url(osrm)).matrix([AARHUS, RANDERS, ANHOLT])


def test_osrm_that_does_not_answer_in_time_raises(osrm):
    osrm.answer = lambda path, query: (200, _fixture("osrm_table_ok.json"), 1.0)

    with pytest.raises(TravelTimeError, match="did not answer within 0.2 s"):
        OsrmProvider(_url(osrm), timeout=0.2).matrix([AARHUS, RANDERS, SILKEBORG])


def test_osrm_that_is_not_there_raises(osrm):
    url = _url(osrm)
    osrm.shutdown()
    osrm.server_close()

    with pytest.raises(TravelTimeError, match="could not be reached"):
        OsrmProvider(url).matrix([AARHUS, RANDERS])
