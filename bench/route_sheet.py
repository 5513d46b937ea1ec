"""The technician's route sheet PDF: a realistic 20-stop day and a 60-stop day, each rendered 20 times (median, max).

The sheet is built in memory (no database): Danish names and addresses, a mix of setups (a kit of three or four
devices to deliver and a training checklist), pickups, swaps, services and follow-ups, access notes, and a few
long addresses. `sample_sheet` is also the data of the renderer's tests. Target: 20 stops in ≤ 0.5 s.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

import pypdfium2 as pdfium

from dispatch.route_sheet import DeviceLine, RouteSheet, SheetLabels, SheetStop, render_route_sheet
from inventory.tags import make_tag

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = 20

DANISH = SheetLabels(
    technician="Tekniker", day="Dag", depot="Lager", van="Bil", stops="Stop i alt", loading="Læsseliste til bilen",
    scan_at_depot="Scan hver enhed på lageret, når den lægges i bilen.", stop="Stop", eta="Ankomst ca.",
    window="Tidsvindue", phone="Telefon", access="Adgang", task="Opgave", note="Bemærk", deliver="Aflever",
    collect="Hent", checklist="Oplæring (tjekliste)", done="Udført", not_home="Ikke hjemme",
    signature="Teknikerens underskrift", citizen_signature="Borgerens underskrift (modtaget/afleveret udstyr)",
)
FIRST = ["Åse", "Søren", "Bjørn", "Mette", "Jørgen", "Birthe", "Ærling", "Inger", "Poul", "Kirsten", "Ønne", "Hans",
         "Grethe", "Niels", "Løkke", "Else", "Ejnar", "Tove", "Mogens", "Ruth"]
LAST = ["Østergård", "Nørgaard", "Sørensen", "Kjær", "Bækgaard", "Mølgaard", "Skjødt", "Fæster", "Lykke",
        "Høj", "Ærø", "Damgård", "Brøndum", "Æbelø", "Krøyer"]
STREETS = ["Åboulevarden", "Søndergade", "Nørregade", "Østerbrogade", "Skærbæk Allé", "Fælledvej", "Bøgevej",
           "Kærvænget", "Højvangen", "Præstø Landevej", "Grønnegade", "Møllevej"]
TOWNS = ["8000 Aarhus C", "8200 Aarhus N", "8260 Viby J", "8520 Lystrup", "8240 Risskov", "8361 Hasselager",
         "8462 Harlev J", "8355 Solbjerg", "8380 Trige", "8541 Skødstrup"]
LONG_ADDRESSES = [
    "Skt. Clemens Stræde 14, 2. th., lejlighed 1207, indgang fra gården bag Bøgeskovens Ældrecenter, "
    "opgang C ved cykelskuret, 8000 Aarhus C",
    "Kirkevej 3, Ørslev Overdrev, den gule længe bag gården med de grønne porte, grusvejen til højre efter "
    "Æblehaven, 8462 Harlev J",
]
ACCESS = [
    "Nøglen ligger i nøgleboks ved bagdøren, kode 4711",
    "Dørkode 1934B, 3. sal, elevator til venstre",
    "Ring på hos naboen i nr. 12 (Bodil), hun har nøgle",
    "<script>alert('nøgle')</script> står på sedlen i vinduet — print som tekst",
    "Hunden er venlig; brug køkkendøren. Nøgleboks: 2580",
    None,
]
MODELS = {
    "COPD": ["Samsung Galaxy Tab A9 (tablet)", "Nonin 3230 Bluetooth pulsoximeter",
             "A&D UC-352BLE personvægt", "A&D UA-651BLE blodtryksmåler"],
    "HF": ["Samsung Galaxy Tab A9 (tablet)", "A&D UC-352BLE personvægt", "A&D UA-651BLE blodtryksmåler"],
    "DIAB": ["Samsung Galaxy Tab A9 (tablet)", "Contour Next One blodsukkermåler", "Vitalograph Asma-1 spirometer"],
}
CHECKLISTS = {
    "COPD": ["Tænder tablet og logger ind", "Måler iltmætning og puls", "Sender målinger og ser dem i appen",
             "Ved hvornår vagten skal ringes op", "Oplader udstyret om natten"],
    "HF": ["Tænder tablet og logger ind", "Vejer sig hver morgen før morgenmad", "Måler blodtryk siddende",
           "Ved hvornår vagten skal ringes op"],
    "DIAB": ["Tænder tablet og logger ind", "Måler blodsukker", "Blæser i spirometeret (3 forsøg)"],
}


def sample_sheet(stops: int = 20, seed: int = 5) -> RouteSheet:
    """A technician's day of `stops` visits, seeded; tags are unique over the whole sheet."""
    rng = random.Random(seed)
    serial = iter(range(1, 1_000_000))
    built = [_stop(n, rng, serial) for n in range(1, stops + 1)]
    return RouteSheet(
        title="Køreliste", technician="Mikkel Højgaard Sørensen", day_label="torsdag 26. november 2026",
        depot="Fælles Servicecenter, Lager Aarhus (Halmstadgade 6)", van="Bil 3 — Ford Transit Custom (CX 12 345)",
        printed_label="Udskrevet 26-11-2026 kl. 06:52 af Hanne Bækgaard (planlægning). Adgangsoplysninger er "
                      "fortrolige: kør listen i makulatoren efter endt tur.",
        labels=DANISH, loading=[device for stop in built for device in stop.deliver], stops=built,
        footer_page="Side %(page)s af %(pages)s")


def _stop(n: int, rng: random.Random, serial) -> SheetStop:
    programme = rng.choice(sorted(MODELS))
    kind = rng.choices(["setup", "pickup", "swap", "service", "follow-up"], weights=[5, 2, 1, 1, 1])[0]
    kit = [DeviceLine(make_tag("D", next(serial)), model) for model in MODELS[programme]]
    deliver = kit if kind == "setup" else kit[1:2] if kind == "swap" else []
    collect = ([DeviceLine(make_tag("D", next(serial)), model) for model in MODELS[programme]] if kind == "pickup"
               else [DeviceLine(make_tag("D", next(serial)), kit[1].model)] if kind == "swap" else [])
    hour, minute = divmod(8 * 60 + 25 * n, 60)
    start = max(8, hour - 1)
    street = rng.choice(STREETS)
    address = (LONG_ADDRESSES[n % len(LONG_ADDRESSES)] if n % 7 == 3
               else f"{street} {rng.randint(1, 180)}{rng.choice(['', ', st. tv.', ', 1. th.', 'B'])}, "
                    f"{rng.choice(TOWNS)}")
    return SheetStop(
        number=n, eta=f"{hour:02d}:{minute:02d}", window=f"{start:02d}:00–{start + 2:02d}:00",
        citizen_name=f"{FIRST[n % len(FIRST)]} {rng.choice(LAST)} {LAST[n % len(LAST)]}",
        address=address, phone=f"+45 {rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                                f"{rng.randint(10, 99)}",
        access_notes=ACCESS[n % len(ACCESS)], task=_task(kind, programme),
        deliver=deliver, collect=collect, checklist=CHECKLISTS[programme] if kind == "setup" else [],
        note="Datteren Lene er med og skal også oplæres; borgeren hører dårligt — tal tydeligt." if n % 5 == 2
        else None)


def _task(kind: str, programme: str) -> str:
    return {"setup": f"Opsætning af {programme}-pakke og oplæring af borgeren",
            "pickup": "Afhentning af alt udstyr (forløbet er afsluttet)",
            "swap": "Ombytning: pulsoximeter/vægt virker ikke, den defekte tages med retur",
            "service": "Service: tablet opdateres, batteri tjekkes", "follow-up": "Opfølgning på oplæringen"}[kind]


def _time(sheet: RouteSheet, runs: int) -> dict:
    """Wall-clock seconds per render (the target), and CPU seconds, which other work on the machine disturbs less."""
    pdf = render_route_sheet(sheet)  # warm-up: fonts registered, modules loaded
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        render_route_sheet(sheet)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    barcodes = len(sheet.loading) + sum(len(s.deliver) + len(s.collect) for s in sheet.stops)
    return {"stops": len(sheet.stops), "barcodes": barcodes, "pages": len(pdfium.PdfDocument(pdf)), "runs": runs,
            "median_seconds": round(statistics.median(wall), 3), "max_seconds": round(max(wall), 3),
            "cpu_median_seconds": round(statistics.median(cpu), 3), "pdf_bytes": len(pdf)}


def main() -> dict:
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "load_average_before": round(os.getloadavg()[0], 2),
              "stops_20": _time(sample_sheet(20), RUNS), "stops_60": _time(sample_sheet(60), RUNS)}
    print(json.dumps(report), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "route_sheet.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
