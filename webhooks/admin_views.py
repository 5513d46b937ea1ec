"""Admin pages: webhook endpoints (created with their secret shown once, rotated, disabled, enabled) and each
endpoint's delivery log with response codes, where a message can be sent again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from servicecenter.auth.permissions import can_manage_users
from servicecenter.db import get_or_raise, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.web import creates, now, once, require, show_error
from webhooks import service
from webhooks.forms import EndpointForm
from webhooks.models import WebhookEndpoint, WebhookMessage

bp = Blueprint("webhooks_admin", __name__, url_prefix="/admin/webhooks", template_folder="templates")
REFUSED, NO_OUTCOME = "refused: ", N_("no outcome after the last attempt")


@bp.app_template_filter("attempt_error")
def attempt_error(error: str | None) -> str:
    """An attempt's error in the reader's language: a refusal's reason and the lost attempt are our own texts
    (stored as their msgids); an HTTP status or an exception's name is shown as it is."""
    if not error:
        return ""
    if error.startswith(REFUSED):
        return gettext("refused: %(reason)s", reason=gettext(error.removeprefix(REFUSED)))
    return gettext(error) if error == NO_OUTCOME else error
MISSING = N_("No such webhook endpoint.")


@bp.get("")
@require(can_manage_users)
def endpoint_list():
    return render_template("webhooks/endpoints.html", endpoints=service.list_endpoints(db_session()),
                           labels=service.EVENT_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@require(can_manage_users)
@creates(lambda ref: url_for("webhooks_admin.endpoint", endpoint_id=ref))
def new_endpoint():
    s = db_session()
    form = EndpointForm()
    form.event_types.choices = [(e.value, gettext(label)) for e, label in service.EVENT_LABELS.items()]
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                row, secret = once(s, lambda: service.create_endpoint(
                    s, url=form.url.data, description=form.description.data, event_types=form.event_types.data,
                    is_private_allowed=form.is_private_allowed.data, actor=current_user, now=now()),
                    ref=lambda made: made[0].id)
        except DomainError as error:
            show_error(error, form)
        else:
            return render_template("webhooks/secret.html", endpoint=row, secret=secret)
    return render_template("webhooks/endpoint_form.html", form=form)


@bp.get("/<int:endpoint_id>")
@require(can_manage_users)
def endpoint(endpoint_id: int):
    s = db_session()
    row = get_or_raise(s, WebhookEndpoint, endpoint_id, MISSING)
    messages = service.list_messages(s, row.id)
    return render_template("webhooks/endpoint.html", endpoint=row, messages=messages,
                           statuses=service.STATUS_LABELS, reasons=service.DISABLED_REASONS,
                           attempts=service.attempts_of(s, [m.id for m in messages]))


@bp.post("/<int:endpoint_id>/rotate")
@require(can_manage_users)
def rotate(endpoint_id: int):
    s = db_session()
    with unit_of_work(s):
        row = get_or_raise(s, WebhookEndpoint, endpoint_id, MISSING)
        secret = service.rotate_secret(s, row, actor=current_user, now=now())
    return render_template("webhooks/secret.html", endpoint=row, secret=secret, rotated=True)


@bp.post("/<int:endpoint_id>/enabled")
@require(can_manage_users)
def set_enabled(endpoint_id: int):
    choice = request.form.get("enabled")
    if choice not in ("0", "1"):
        abort(400)
    s = db_session()
    with unit_of_work(s):
        row = get_or_raise(s, WebhookEndpoint, endpoint_id, MISSING)
        service.set_enabled(s, row, choice == "1", actor=current_user, now=now())
    flash(gettext("The endpoint is enabled.") if choice == "1" else gettext("The endpoint is disabled."), "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id))


@bp.post("/messages/<int:message_id>/redeliver")
@require(can_manage_users)
def redeliver(message_id: int):
    s = db_session()
    with unit_of_work(s):
        message = get_or_raise(s, WebhookMessage, message_id, N_("No such webhook message."))
        endpoint_id = message.endpoint_id
        try:
            service.redeliver(s, message, actor=current_user, now=now())
        except DomainError as error:  # nothing was changed: the commit is empty
            show_error(error)
        else:
            flash(gettext("The message is queued to be sent again."), "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint_id))
