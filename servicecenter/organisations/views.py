"""Administration of organisations: the GP clinics, hospitals and municipalities users and citizens belong to."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from servicecenter.auth.permissions import can_manage_organisations
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.organisations import service
from servicecenter.organisations.forms import KIND_LABELS, OrganisationForm
from servicecenter.organisations.models import OrganisationKind
from servicecenter.web import creates, now, once, require, show_error

bp = Blueprint("organisations", __name__, url_prefix="/admin/organisations", template_folder="templates")


@bp.app_context_processor
def organisation_labels():
    return {"kind_label": lambda kind: KIND_LABELS.get(kind, kind)}


def _form(obj=None) -> OrganisationForm:
    form = OrganisationForm(obj=obj)
    form.cluster_id.choices = [(0, "—")] + [(c.id, c.name) for c in service.list_clusters(db_session())]
    if request.method == "GET" and obj is not None:
        form.kind.data, form.cluster_id.data = obj.kind.value, obj.cluster_id or 0
    return form


def _data(form: OrganisationForm) -> service.OrganisationData:
    return service.OrganisationData(kind=OrganisationKind(form.kind.data), name=form.name.data,
                                    code=form.code.data, cluster_id=form.cluster_id.data or None,
                                    is_active=form.is_active.data)


@bp.get("/")
@require(can_manage_organisations)
def index():
    organisations = service.list_organisations(db_session(), include_inactive=True)
    return render_template("organisations/list.html", organisations=organisations)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@require(can_manage_organisations)
@creates(lambda _ref, **_: url_for("organisations.index"))
def edit(organisation_id: int | None = None):
    s = db_session()
    organisation = service.get_organisation(s, organisation_id) if organisation_id else None
    form = _form(organisation)
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                if organisation is None:
                    once(s, lambda: service.create_organisation(s, _data(form), actor=current_user, now=now()))
                else:
                    service.update_organisation(s, s.get(type(organisation), organisation_id), _data(form),
                                                actor=current_user, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The organisation is saved."), "success")
            return redirect(url_for("organisations.index"))
    return render_template("organisations/form.html", form=form, organisation=organisation), (
        400 if form.errors else 200)
