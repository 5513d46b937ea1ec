"""Login, logout, own password, and the admin pages for users."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user

from servicecenter.auth import service
from servicecenter.auth.forms import ChangePasswordForm, LoginForm, ResetPasswordForm, UserForm
from servicecenter.auth.models import Role, UserStatus
from servicecenter.auth.permissions import can_manage_users, is_authenticated
from servicecenter.db import unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.organisations.service import list_organisations
from servicecenter.security import end_login_session
from servicecenter.web import client_ip, creates, now, once, page_arg, public, require, safe_next, show_error

bp = Blueprint("auth", __name__, template_folder="templates")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _limits() -> service.LoginLimits:
    c = current_app.config
    return service.LoginLimits(c["LOGIN_MAX_FAILURES"], c["LOGIN_MAX_FAILURES_PER_USER"],
                               c["LOGIN_MAX_FAILURES_PER_IP"], dt.timedelta(minutes=c["LOGIN_WINDOW_MINUTES"]))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        s = db_session()
        with unit_of_work(s):
            result = service.attempt_login(s, username=form.username.data, password=form.password.data,
                                           ip=client_ip(), now=now(), limits=_limits())
        if result.user is not None:
            lang = session.get("lang")
            session.clear()
            session.update(sid=result.token, **({"lang": lang} if lang else {}))
            login_user(result.user)
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
        flash(gettext(result.error, minutes=result.retry_minutes) if result.retry_minutes
              else gettext(result.error), "danger")
    links = current_app.extensions.get("login_links", [])  # a feature's way in for others (the citizens' portal)
    return render_template("auth/login.html", form=form, links=links), 200 if request.method in ("GET", "HEAD") \
        else 400


@bp.post("/logout")
@require(is_authenticated)
def logout():
    s = db_session()
    with unit_of_work(s):
        service.logout(s, session.get("sid", ""), actor=current_user, now=now())
    end_login_session()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@require(is_authenticated)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        s = db_session()
        try:
            with unit_of_work(s):
                service.change_own_password(s, current_user, current=form.current_password.data,
                                            new=form.password.data, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            end_login_session()
            flash(gettext("Your password is changed. Log in with the new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)


# --- administration of users ----------------------------------------------------------------------------


def _user_form(obj=None) -> UserForm:
    form = UserForm(obj=obj)
    organisations = list_organisations(db_session())
    if obj is not None and obj.organisation_id not in {o.id for o in organisations}:
        # An inactive organisation is still shown for its users: missing from the list, the browser would send the
        # first organisation and saving the user would silently move them (and what they may see).
        organisations.append(obj.organisation)
    form.organisation_id.choices = [(o.id, o.name if o.is_active else f"{o.name} ({gettext('inactive')})")
                                    for o in organisations]
    return form


@admin_bp.route("/users", methods=["GET", "POST"])
@require(can_manage_users)
def users():
    query = request.form.get("q", "") if request.method == "POST" else ""
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = service.list_users(db_session(), query=query[:60], page=page_arg(), per_page=per_page)
    return render_template("auth/users.html", users=rows, total=total, page=page_arg(), per_page=per_page,
                           q=query)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@require(can_manage_users)
@creates(lambda _ref: url_for("admin.users"))
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        s = db_session()
        try:
            with unit_of_work(s):
                user = once(s, lambda: service.create_user(
                    s, actor=current_user, now=now(), username=form.username.data, full_name=form.full_name.data,
                    role=Role(form.role.data), organisation_id=form.organisation_id.data,
                    password=form.password.data or "", email=form.email.data, phone=form.phone.data,
                ))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("User %(name)s is created.", name=user.full_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(can_manage_users)
def edit_user(user_id: int):
    s = db_session()
    user = service.get_user(s, user_id)
    form = _user_form(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                service.update_user(s, user, actor=current_user, now=now(), full_name=form.full_name.data,
                                    role=Role(form.role.data), organisation_id=form.organisation_id.data,
                                    email=form.email.data, phone=form.phone.data)
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The user is saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("auth/user_form.html", form=form, user=user, reset_form=ResetPasswordForm())


@admin_bp.post("/users/<int:user_id>/status")
@require(can_manage_users)
def set_status(user_id: int):
    s = db_session()
    try:
        status = UserStatus(request.form.get("status", ""))
    except ValueError:
        status = None
    try:
        with unit_of_work(s):
            user = service.get_user(s, user_id)
            if status is None:
                raise DomainError(N_("Unknown status."))
            service.set_user_status(s, user, status, actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("The user is disabled and logged out everywhere.") if status == UserStatus.DISABLED
              else gettext("The user is active again."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@admin_bp.post("/users/<int:user_id>/password")
@require(can_manage_users)
def reset_password(user_id: int):
    s = db_session()
    form = ResetPasswordForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(N_("Enter a new password."), field="password")
        with unit_of_work(s):
            user = service.get_user(s, user_id)
            service.set_password(s, user, form.password.data, actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("The password is set. The user is logged out everywhere."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))
