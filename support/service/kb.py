"""The knowledge base: articles per device model and category in Danish and English, suggested on a ticket by its
device model and category, and marked helpful by staff (once per person)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from inventory import service as inventory
from servicecenter.audit.service import record_event
from servicecenter.db import get_or_raise, lock_row
from servicecenter.errors import N_, DomainError, NotFound
from support.models import Article, ArticleVote, Category

PER_PAGE = 25


def get_article(session: Session, article_id: int) -> Article:
    return get_or_raise(session, Article, article_id, N_("No such article."))


def save_article(session: Session, article: Article | None, *, device_model_id: int | None,
                 category: Category | None, title_da: str, body_da: str, title_en: str, body_en: str, actor,
                 now: dt.datetime) -> Article:
    texts = {"title_da": title_da.strip(), "body_da": body_da.strip(), "title_en": title_en.strip(),
             "body_en": body_en.strip()}
    for name, value in texts.items():
        if not value:
            raise DomainError(N_("Write the article in both Danish and English."), field=name)
    if len(texts["title_da"]) > 200 or len(texts["title_en"]) > 200:
        raise DomainError(N_("A title can be at most %(max)s characters."), field="title_da", max=200)
    if device_model_id is None and category is None:
        raise DomainError(N_("Choose a device model, a category or both."), field="device_model_id")
    if device_model_id is not None:
        try:
            inventory.get_device_model(session, device_model_id)
        except NotFound:
            raise DomainError(N_("No such device model."), field="device_model_id") from None
    article = article or Article(helpful_count=0)
    for name, value in texts.items():
        setattr(article, name, value)
    article.device_model_id, article.category = device_model_id, category
    article.updated_at, article.updated_by_id = now, getattr(actor, "id", None)
    session.add(article)
    session.flush()
    record_event(session, actor=actor, action="kb.save", entity_type="kb_article", entity_id=article.id, now=now)
    return article


def suggestions(session: Session, *, device_model_id: int | None, category: Category | None,
                limit: int = 5) -> list[Article]:
    """Articles for the ticket's model and category first, then for the model, then for the category; the most
    helpful first within each."""
    if device_model_id is None and category is None:
        return []
    model_match = Article.device_model_id == device_model_id if device_model_id is not None else None
    category_match = Article.category == category if category is not None else None
    conditions = [c for c in (model_match, category_match) if c is not None]
    fits = [or_(Article.device_model_id.is_(None), model_match) if model_match is not None
            else Article.device_model_id.is_(None),
            or_(Article.category.is_(None), category_match) if category_match is not None
            else Article.category.is_(None)]
    rank = [case((c, 0), else_=1) for c in conditions]
    return list(session.scalars(select(Article).where(or_(*conditions), *fits)
                                .order_by(*rank, Article.helpful_count.desc(), Article.id).limit(limit)))


def list_articles(session: Session, *, device_model_id: int | None = None, category: Category | None = None,
                  text: str = "", page: int = 1) -> tuple[list[Article], bool]:
    query = select(Article)
    if device_model_id is not None:
        query = query.where(Article.device_model_id == device_model_id)
    if category is not None:
        query = query.where(Article.category == category)
    words = text.strip().lower()[:100]
    if words:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.where(or_(*(getattr(Article, c).ilike(like, escape="\\")
                                  for c in ("title_da", "title_en", "body_da", "body_en"))))
    rows = list(session.scalars(query.order_by(Article.helpful_count.desc(), Article.id)
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)))
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def mark_helpful(session: Session, article: Article, *, actor, now: dt.datetime, ticket_id: int | None = None
                 ) -> bool:
    """True if counted; False if this person had already marked it (a second click changes nothing)."""
    lock_row(session, article)
    voted = session.scalar(select(ArticleVote.id).where(ArticleVote.article_id == article.id,
                                                        ArticleVote.user_id == actor.id))
    if voted is not None:
        return False
    session.add(ArticleVote(article_id=article.id, user_id=actor.id, ticket_id=ticket_id, at=now))
    article.helpful_count += 1
    return True


def voted_ids(session: Session, user_id: int, article_ids: list[int]) -> set[int]:
    if not article_ids:
        return set()
    return set(session.scalars(select(ArticleVote.article_id).where(ArticleVote.user_id == user_id,
                                                                    ArticleVote.article_id.in_(article_ids))))
