"""Knowledge-base pages: search the articles, read one in the reader's language, mark it helpful, write and edit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user

from inventory.service import list_models
from servicecenter.auth.permissions import can_edit_kb, can_read_kb
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.web import creates, now, once, page_arg, require, safe_next, show_error
from support.forms_admin import ArticleForm
from support.models import Article, Category
from support.service import kb
from support.service.tickets import CATEGORY_LABELS, get_ticket
from support.views import bp


def localized(article: Article) -> tuple[str, str]:
    """The article's title and body in the reader's language: Danish for Danish, English for everyone else."""
    if get_locale() is not None and get_locale().language == "da":
        return article.title_da, article.body_da
    return article.title_en, article.body_en


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _category_arg() -> Category | None:
    try:
        return Category(request.args.get("category", ""))
    except ValueError:
        return None


def _page_context() -> dict:
    """What every KB page shows about models and categories (one query for the models)."""
    models = list_models(db_session())
    return {"models": models, "model_names": {m.id: str(m) for m in models}, "categories": list(Category),
            "category_label": lambda c: gettext(CATEGORY_LABELS[c]) if c else "", "localized": localized}


@bp.get("/kb", endpoint="kb")
@require(can_read_kb)
def kb_index():
    model_id, category, text = _int_arg("model"), _category_arg(), request.args.get("q", "").strip()[:100]
    articles, has_more = kb.list_articles(db_session(), device_model_id=model_id, category=category, text=text,
                                          page=page_arg())
    return render_template("support/kb.html", articles=articles, has_more=has_more, page=page_arg(),
                           model_id=model_id, category=category, q=text, may_edit=can_edit_kb(current_user),
                           **_page_context())


@bp.get("/kb/<int:article_id>")
@require(can_read_kb)
def kb_article(article_id: int):
    s = db_session()
    article = kb.get_article(s, article_id)
    title, body = localized(article)
    return render_template("support/kb_article.html", article=article, title=title, body=body,
                           may_edit=can_edit_kb(current_user),
                           voted=bool(kb.voted_ids(s, current_user.id, [article.id])),
                           ticket_id=_int_arg("ticket_id"), next=safe_next(request.args.get("next"), ""),
                           **_page_context())


@bp.post("/kb/<int:article_id>/helpful")
@require(can_read_kb)
def kb_helpful(article_id: int):
    s = db_session()
    ticket_id = request.form.get("ticket_id", "")
    if ticket_id and not (ticket_id.isdigit() and len(ticket_id) < 10):
        abort(400)
    with unit_of_work(s):
        ticket = get_ticket(s, int(ticket_id)) if ticket_id else None
        counted = kb.mark_helpful(s, kb.get_article(s, article_id), actor=current_user, now=now(),
                                  ticket_id=ticket.id if ticket else None)
    if counted:
        flash(gettext("Thank you: the article is marked helpful."), "success")
    else:
        flash(gettext("You have already marked this article helpful; it counts once."), "info")
    return redirect(safe_next(request.form.get("next"), url_for("support.kb_article", article_id=article_id)))


def _article_form(article: Article | None) -> ArticleForm:
    form = ArticleForm(obj=article)
    if request.method == "GET" and article is not None:
        form.device_model_id.data = article.device_model_id or 0
        form.category.data = article.category.value if article.category else ""
    form.device_model_id.choices = [(0, gettext("— any model —"))] + [(m.id, str(m)) for m in
                                                                      list_models(db_session())]
    form.category.choices = [("", gettext("— any category —"))] + [(c.value, gettext(CATEGORY_LABELS[c]))
                                                                   for c in Category]
    return form


@bp.route("/kb/new", methods=["GET", "POST"], endpoint="kb_new", defaults={"article_id": None})
@bp.route("/kb/<int:article_id>/edit", methods=["GET", "POST"])
@require(can_edit_kb)
@creates(lambda ref, **_: url_for("support.kb_article", article_id=ref))
def kb_edit(article_id: int | None):
    s = db_session()
    article = kb.get_article(s, article_id) if article_id else None
    form = _article_form(article)
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                saved = once(s, lambda: kb.save_article(
                    s, kb.get_article(s, article_id) if article_id else None,
                    device_model_id=form.device_model_id.data or None,
                    category=Category(form.category.data) if form.category.data else None,
                    title_da=form.title_da.data, body_da=form.body_da.data, title_en=form.title_en.data,
                    body_en=form.body_en.data, actor=current_user, now=now()))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The article is saved."), "success")
            return redirect(url_for("support.kb_article", article_id=saved.id))
    return render_template("support/kb_form.html", form=form, article=article), 400 if form.errors else 200
