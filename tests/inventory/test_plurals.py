"""Counts in Danish take the right form: "1 række", "2 rækker" (ngettext, not a fixed plural)."""

from __future__ import annotations

import io

import pytest

from tests.inventory.helpers import World


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def _preview(client, world, rows: list[str]) -> str:
    form = {"depot_id": world.depot.id, "owner_organisation_id": world.region.id}
    csv = "model,serial\n" + "".join(f"M-tablet,{serial}\n" for serial in rows)
    response = client.post("/inventory/import", data={**form, "file": (io.BytesIO(csv.encode()), "d.csv")},
                           content_type="multipart/form-data")
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(("lang", "one", "two"), [
    ("da", ["1 række, ingen fejl.", "Importér 1 enhed<"], ["2 rækker, ingen fejl.", "Importér 2 enheder<"]),
    ("en", ["1 row, no errors.", "Import 1 device<"], ["2 rows, no errors.", "Import 2 devices<"]),
])
def test_the_import_preview_counts_rows_and_devices_in_the_right_form(client, world, lang, one, two):
    assert client.login(world.warehouse.username).status_code == 302
    if lang == "en":
        client.post("/language", data={"lang": "en"})
    page = _preview(client, world, ["P1"])
    assert all(text in page for text in one), page
    assert "1 rækker" not in page and "1 rows" not in page
    page = _preview(client, world, ["P2", "P3"])
    assert all(text in page for text in two)
