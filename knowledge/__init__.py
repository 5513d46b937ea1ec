"""Knowledge: which equipment is best (device models of a kind compared from the ledgers, with intervals and
survival curves) and experience notes (lessons learned about a programme, a device model or a municipality, shown
where they apply).

Importing this package loads no Flask; init_app plugs it into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from knowledge.panels import device_model_panel, programme_panel
    from knowledge.views import bp
    from servicecenter.extensions import register_extension

    app.register_blueprint(bp)
    register_extension(app, "nav_end", ("knowledge.equipment_page", _l("Best equipment")))
    register_extension(app, "nav_end", ("knowledge.notes", _l("Experience")))
    register_extension(app, "device_model_panels", device_model_panel)
    register_extension(app, "programme_panels", programme_panel)
