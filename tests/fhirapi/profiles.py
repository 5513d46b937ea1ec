"""The checks every FHIR resource we produce must pass: the R4 structure (fhir.resources' R4B models, which R4
payloads fit: required elements, types, no unknown elements), and the eHealth (FUT) and DK Core fixed values and
cardinalities we promise, written as code."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class

from fhirapi.shapes import CPR_SYSTEM, SUPPLIERS_EXTENSION, V2_0203

DEVICE_STATUS = {"active", "inactive", "entered-in-error", "unknown"}
USE_STATUS = {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold"}


def validate(resource: dict) -> None:
    """Raises when the resource is not valid R4 or breaks a profile rule; a Bundle's entries are checked too."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    PROFILE_CHECKS.get(resource["resourceType"], lambda _r: None)(resource)


def _one(items: list, what: str):
    assert len(items) == 1, f"{what}: exactly one expected, found {len(items)}"
    return items[0]


def check_device(device: dict) -> None:
    assert "patient" not in device, "a Device never points at a patient (DeviceUseStatement does)"
    assert device["owner"]["reference"].startswith("Organization/"), "the owner is an Organization"
    sno = _one([i for i in device["identifier"]
                if any(c["system"] == V2_0203 and c["code"] == "SNO" for c in i.get("type", {}).get("coding", []))],
               "SNO identifier")
    assert sno["value"], "the serial number is the SNO identifier's value"
    assert device["status"] in DEVICE_STATUS
    assert device["manufacturer"] and device["modelNumber"]
    for supplier in [e for e in device.get("extension", []) if e["url"] == SUPPLIERS_EXTENSION]:
        parts = {e["url"]: e for e in supplier["extension"]}
        assert len(supplier["extension"]) >= 2 and set(parts) == {"supplier", "role"}
        assert parts["supplier"]["valueReference"]["reference"].startswith("Organization/")


def check_use(use: dict) -> None:
    assert use["status"] in USE_STATUS
    assert use["subject"]["reference"].startswith("Patient/")
    assert use["device"]["reference"].startswith("Device/")
    period = use["timingPeriod"]
    assert ("end" in period) is (use["status"] == "completed"), "completed exactly when the period has ended"
    assert "end" not in period or period["start"] <= period["end"]


def check_patient(patient: dict) -> None:
    cpr = _one([i for i in patient["identifier"] if i["system"] == CPR_SYSTEM], "DK Core cpr identifier")
    assert len(cpr["value"]) == 10 and cpr["value"].isdigit()
    assert "name" not in patient and "address" not in patient and "telecom" not in patient


def check_bundle(bundle: dict) -> None:
    assert bundle["type"] == "searchset"
    urls = [e["fullUrl"] for e in bundle.get("entry", [])]
    assert len(urls) == len(set(urls)), "fullUrl unique in a bundle"
    assert bundle["total"] == sum(1 for e in bundle.get("entry", []) if e["search"]["mode"] == "match")
    for entry in bundle.get("entry", []):
        assert entry["fullUrl"].endswith(f"/{entry['resource']['resourceType']}/{entry['resource']['id']}")
        validate(entry["resource"])


def check_outcome(outcome: dict) -> None:
    issue = _one(outcome["issue"], "issue")
    assert issue["severity"] == "error" and issue["code"]


PROFILE_CHECKS = {"Device": check_device, "DeviceUseStatement": check_use, "Patient": check_patient,
                  "Bundle": check_bundle, "OperationOutcome": check_outcome}
