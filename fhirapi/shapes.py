"""Our records as FHIR R4 resources (plain dicts, JSON as FHIR writes it), shaped as the eHealth infrastructure
(FUT) profiles them. No Flask here: references are relative ("Device/7"); the views add full URLs to bundles.

- Device: the organisation owning it as `owner`, never `patient` (who has it is a DeviceUseStatement); the serial
  number as an identifier of type SNO; our asset tag as a second identifier; manufacturer and model from the device
  model; the service centre in the `ehealth-device-suppliers` extension.
- DeviceUseStatement: one per custody interval in a citizen's home: active while she holds the device, completed
  when it is picked up, its timingPeriod the interval.
- Patient: DK Core's CPR identifier and the municipality; no name (docs/decisions.md)."""

from __future__ import annotations

import datetime as dt

from inventory.models import Custody, Device, DeviceStatus
from servicecenter.citizens.models import Citizen
from servicecenter.organisations.models import Organisation

FHIR_VERSION = "4.0.1"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"  # DK Core's cpr identifier slice
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
SERIAL_SYSTEM = "urn:fsc:device-serial"  # the manufacturer's serial number, as read off the device
TAG_SYSTEM = "urn:fsc:device-tag"  # our asset tag, on the label
SUPPLIERS_EXTENSION = "http://ehealth.sundhed.dk/fhir/StructureDefinition/ehealth-device-suppliers"
SUPPLIER_ROLE = "Service centre: delivery, support, maintenance and pickup"
INACTIVE = {DeviceStatus.LOST, DeviceStatus.SCRAPPED}


def instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def reference(kind: str, ident: int, display: str | None = None) -> dict:
    ref = {"reference": f"{kind}/{ident}"}
    if display:
        ref["display"] = display
    return ref


def device(found: Device, supplier: Organisation | None) -> dict:
    model = found.model
    resource = {
        "resourceType": "Device",
        "id": str(found.id),
        "identifier": [
            {"type": {"coding": [{"system": V2_0203, "code": "SNO", "display": "Serial Number"}]},
             "system": SERIAL_SYSTEM, "value": found.serial},
            {"system": TAG_SYSTEM, "value": found.tag},
        ],
        "status": "inactive" if found.status in INACTIVE else "active",
        "manufacturer": model.manufacturer,
        "deviceName": [{"name": model.name, "type": "model-name"}],
        "modelNumber": model.model_number,
        "type": {"text": str(model.category)},
        "owner": reference("Organization", found.owner_organisation_id, found.owner.name),
    }
    if found.firmware_version:
        resource["version"] = [{"value": found.firmware_version}]
    if supplier is not None:
        resource["extension"] = [{"url": SUPPLIERS_EXTENSION, "extension": [
            {"url": "supplier", "valueReference": reference("Organization", supplier.id, supplier.name)},
            {"url": "role", "valueCodeableConcept": {"text": SUPPLIER_ROLE}},
        ]}]
    return resource


def device_use_statement(custody: Custody) -> dict:
    period = {"start": instant(custody.started_at)}
    if custody.ended_at is not None:
        period["end"] = instant(custody.ended_at)
    return {
        "resourceType": "DeviceUseStatement",
        "id": str(custody.id),
        "status": "active" if custody.ended_at is None else "completed",
        "subject": reference("Patient", custody.citizen_id),
        "device": reference("Device", custody.device_id),
        "timingPeriod": period,
    }


def patient(citizen: Citizen) -> dict:
    return {
        "resourceType": "Patient",
        "id": str(citizen.id),
        "identifier": [{"use": "official", "system": CPR_SYSTEM, "value": citizen.cpr}],
        "managingOrganization": reference("Organization", citizen.municipality_id, citizen.municipality.name),
    }


def organization(found: Organisation) -> dict:
    return {"resourceType": "Organization", "id": str(found.id), "active": found.is_active, "name": found.name,
            "type": [{"text": str(found.kind)}]}


def bundle(entries: list[tuple[str, dict, str]]) -> dict:
    """A searchset Bundle of (full URL, resource, search mode: match | include)."""
    return {"resourceType": "Bundle", "type": "searchset",
            "total": sum(1 for _url, _r, mode in entries if mode == "match"),
            "entry": [{"fullUrl": url, "resource": resource, "search": {"mode": mode}}
                      for url, resource, mode in entries]}


def capability_statement(*, base: str, published: dt.date) -> dict:
    def resource(kind: str, interactions: list[str], params: list[tuple[str, str]], **more) -> dict:
        return {"type": kind, "interaction": [{"code": code} for code in interactions],
                "searchParam": [{"name": name, "type": kind_of} for name, kind_of in params], **more}

    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published.isoformat(),
        "kind": "instance",
        "implementation": {"description": "Fælles Servicecenter FHIR read API", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": {"description": "Bearer token (Authorization: Bearer <token>) issued by an administrator, "
                                        "with scopes: devices:read for Device and Organization, custody:read for "
                                        "DeviceUseStatement and Patient. A municipality's token sees only the "
                                        "citizens it needs to know."},
            "resource": [
                resource("Device", ["read", "search-type"], [("identifier", "token")]),
                resource("DeviceUseStatement", ["read", "search-type"],
                         [("patient", "reference"), ("device", "reference"), ("patient.identifier", "token")]),
                resource("Patient", ["read"], [],
                         operation=[{"name": "everything",
                                     "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]),
                resource("Organization", ["read"], []),
            ],
        }],
    }
