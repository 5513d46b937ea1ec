"""Admin pages: the API tokens, issued per integration (shown once), listed with their last use, revoked."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from api.forms import TokenForm
from api.models import ApiToken
from api.service import tokens
from servicecenter.auth.permissions import can_manage_users
from servicecenter.db import LOCAL_ZONE, get_or_raise, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.organisations.service import list_organisations
from servicecenter.web import creates, now, once, require, show_error

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-tokens", template_folder="templates")


@bp.get("")
@require(can_manage_users)
def token_list():
    return render_template("api/tokens.html", tokens=tokens.list_tokens(db_session()), now=now())


@bp.route("/new", methods=["GET", "POST"])
@require(can_manage_users)
@creates(lambda _ref: url_for("api_admin.token_list"))
def new_token():
    s = db_session()
    form = TokenForm()
    form.organisation_id.choices = [("", gettext("The service centre (every citizen)"))] + [
        (o.id, o.name) for o in list_organisations(s)]
    form.scopes.choices = [(scope.value, gettext(label)) for scope, label in tokens.SCOPE_LABELS.items()]
    if form.validate_on_submit():
        expires = (dt.datetime.combine(form.expires_on.data, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)
                   if form.expires_on.data else None)
        try:
            with unit_of_work(s):
                row, token = once(s, lambda: tokens.issue(
                    s, name=form.name.data, scopes=form.scopes.data, organisation_id=form.organisation_id.data,
                    actor=current_user, now=now(), expires_at=expires), ref=lambda made: made[0].id)
        except DomainError as error:
            show_error(error, form)
        else:
            return render_template("api/token_created.html", token=token, row=row, labels=tokens.SCOPE_LABELS)
    return render_template("api/token_form.html", form=form)


@bp.post("/<int:token_id>/revoke")
@require(can_manage_users)
def revoke(token_id: int):
    s = db_session()
    try:
        with unit_of_work(s):
            token = get_or_raise(s, ApiToken, token_id, N_("No such token."))
            tokens.revoke(s, token, actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("The token is revoked: calls with it are refused from now on."), "success")
    return redirect(url_for("api_admin.token_list"))
