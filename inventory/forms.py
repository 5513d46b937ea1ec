"""Inventory forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inventory.models import DeviceCategory, HolderKind, MovementKind, SignoffKind, SimState
from servicecenter.forms import AppForm

CATEGORY_LABELS = {
    DeviceCategory.TABLET: _l("Tablet"),
    DeviceCategory.PULSE_OXIMETER: _l("Pulse oximeter"),
    DeviceCategory.BLOOD_PRESSURE: _l("Blood-pressure monitor"),
    DeviceCategory.SCALE: _l("Scale"),
    DeviceCategory.SPIROMETER: _l("Spirometer"),
    DeviceCategory.THERMOMETER: _l("Thermometer"),
    DeviceCategory.OTHER: _l("Other"),
}

HOLDER_LABELS = {
    HolderKind.DEPOT: _l("Depot"),
    HolderKind.BIN: _l("Shelf/bin"),
    HolderKind.VAN: _l("Van"),
    HolderKind.COURSE: _l("Citizen's home"),
    HolderKind.CLEANING: _l("Cleaning"),
    HolderKind.REPAIR: _l("Repair vendor"),
    HolderKind.LOST: _l("Lost"),
    HolderKind.SCRAPPED: _l("Scrapped"),
}

MOVEMENT_LABELS = {
    MovementKind.RECEIVE: _l("Registered"),
    MovementKind.ACCEPT: _l("Accepted into stock"),
    MovementKind.RESERVE: _l("Reserved"),
    MovementKind.RELEASE: _l("Reservation released"),
    MovementKind.LOAD: _l("Loaded into van"),
    MovementKind.UNLOAD: _l("Unloaded at depot"),
    MovementKind.HANDOVER: _l("Handed over to citizen"),
    MovementKind.COLLECT: _l("Collected from citizen"),
    MovementKind.CLEAN_START: _l("Cleaning started"),
    MovementKind.CLEAN_FINISH: _l("Cleaning signed off"),
    MovementKind.TEST_PASS: _l("Test signed off, ready"),
    MovementKind.FAULT: _l("Reported faulty"),
    MovementKind.REPAIR_OUT: _l("Sent to repair"),
    MovementKind.REPAIR_BACK: _l("Back from repair"),
    MovementKind.LOSE: _l("Reported lost"),
    MovementKind.FIND: _l("Found"),
    MovementKind.SCRAP: _l("Scrapped"),
}

SIGNOFF_LABELS = {
    SignoffKind.CLEANING: _l("Cleaning"),
    SignoffKind.FUNCTION_TEST: _l("Function test"),
    SignoffKind.CALIBRATION: _l("Calibrated/serviced"),
}

SIM_STATE_LABELS = {
    SimState.ACTIVE: _l("Active"),
    SimState.SUSPENDED: _l("Suspended"),
    SimState.TERMINATED: _l("Terminated"),
}

KIT_STATE_LABELS = {"complete": _l("Complete"), "incomplete": _l("Incomplete"), "split": _l("Split")}

CLEANING_METHODS = [
    ("Aftørret med 70 % alkohol", _l("Wiped with 70 % alcohol")),
    ("Klor 1000 ppm", _l("Chlorine 1000 ppm")),
    ("UV-C-kabinet", _l("UV-C cabinet")),
]
TEST_METHODS = [
    ("Funktionstest og fabriksnulstilling", _l("Function test and factory reset")),
    ("Funktionstest", _l("Function test only")),
]


class ImportForm(AppForm):
    file = FileField(_l("Delivery file (CSV)"), validators=[FileRequired()])
    depot_id = SelectField(_l("Depot"), coerce=int, validators=[DataRequired()])
    owner_organisation_id = SelectField(_l("Owner"), coerce=int, validators=[DataRequired()])


class PriceField(DecimalField):
    """An amount as a Dane writes it: "1.249,50" or "1249.50" (a lone comma or point is the decimal mark)."""

    def process_formdata(self, valuelist):
        if valuelist:
            text = valuelist[0].replace(" ", "").replace("\u00a0", "")
            if "," in text:
                text = text.replace(".", "").replace(",", ".")
            valuelist = [text]
        super().process_formdata(valuelist)


class DeviceModelForm(AppForm):
    category = SelectField(_l("Category"), choices=[(c.value, label) for c, label in CATEGORY_LABELS.items()])
    manufacturer = StringField(_l("Manufacturer"), validators=[DataRequired(), Length(max=80)])
    model_number = StringField(_l("Model number"), validators=[DataRequired(), Length(max=60)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    cleaning_procedure = TextAreaField(_l("Cleaning procedure"), validators=[Optional(), Length(max=2000)])
    service_interval_days = IntegerField(_l("Calibration/service interval (days)"),
                                         validators=[Optional(), NumberRange(1, 3650)])
    unit_price = PriceField(_l("Unit price (DKK, excl. VAT)"), places=2,
                            validators=[Optional(), NumberRange(0, 10_000_000)])


class HolderForm(AppForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, HOLDER_LABELS[k]) for k in
                                            (HolderKind.DEPOT, HolderKind.BIN, HolderKind.VAN, HolderKind.REPAIR)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    depot_id = SelectField(_l("Depot (for a shelf/bin)"), coerce=int, validators=[Optional()])


class KitForm(AppForm):
    template_id = SelectField(_l("Programme"), coerce=int, validators=[DataRequired()])


class StockMinimumForm(AppForm):
    depot_id = SelectField(_l("Depot"), coerce=int, validators=[DataRequired()])
    programme_id = SelectField(_l("Programme"), coerce=int, validators=[DataRequired()])
    minimum = IntegerField(_l("Minimum ready kits"), validators=[InputRequired(), NumberRange(0, 10000)])


class FirmwareForm(AppForm):
    firmware = StringField(_l("Firmware/app version"), validators=[Optional(), Length(max=40)])


class CalibrationForm(AppForm):
    method = StringField(_l("What was done (method or certificate)"), validators=[DataRequired(), Length(max=120)])
    next_due_on = DateField(_l("Next due (empty: the model's interval from today)"), validators=[Optional()])


class SimStateForm(AppForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class RegisterDeviceForm(AppForm):
    """One device by hand. The fields are named as the delivery file's columns, so the import's checks, which
    name the column, put each error at its field."""

    model = SelectField(_l("Model"), validators=[DataRequired()])
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=60)])
    owner_organisation_id = SelectField(_l("Owner"), coerce=int, validators=[DataRequired()])
    depot_id = SelectField(_l("Depot"), coerce=int, validators=[DataRequired()])
    firmware = StringField(_l("Firmware/app version"), validators=[Optional(), Length(max=40)])
    purchased = DateField(_l("Purchase date"), validators=[Optional()])
    warranty_until = DateField(_l("Warranty until"), validators=[Optional()])
    iccid = StringField(_l("SIM card: ICCID"), validators=[Optional(), Length(max=30)])
    phone = StringField(_l("SIM card: phone number"), validators=[Optional(), Length(max=20)])
    operator = StringField(_l("SIM card: operator"), validators=[Optional(), Length(max=40)])

    def entry(self) -> dict[str, str]:
        """The values as a row of a delivery file."""
        return {"model": self.model.data, "serial": self.serial.data or "", "firmware": self.firmware.data or "",
                "purchased": self.purchased.data.isoformat() if self.purchased.data else "",
                "warranty_until": self.warranty_until.data.isoformat() if self.warranty_until.data else "",
                "iccid": self.iccid.data or "", "phone": self.phone.data or "", "operator": self.operator.data or ""}
