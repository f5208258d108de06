"""Rendering a page: the Jinja2 environment (autoescaped, with gettext), built once when the gateway
starts, and `render()`, which every page route ends with."""
from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, get_day_names
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from services.gateway.routers.feeds import webcal_url
from services.gateway.web.forms import form_token, remember_form_cookie
from services.gateway.web.languages import (
    HTML_LANG,
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_SECONDS,
    LANGUAGE_NAMES,
    chosen_explicitly,
    page_language,
)
from shared.catalogues import Catalogues
from shared.i18n import SUPPORTED_LANGUAGES, babel_locale, choose_text
from shared.words import WORDS

TEMPLATES = Path(__file__).resolve().parent / "templates"
KEPT_PAGES = 2048  # rendered pages kept for readers who are not signed in (an event's page per language…)
TOKEN_PLACEHOLDER = "\x00form-token\x00"  # no template or text can hold it (NUL is not in any page)


@pass_context
def _text(context, texts: dict[str, str] | None) -> str:
    """An organizer's text in several languages, in the reader's (or the nearest there is)."""
    return choose_text(texts or {}, context["language"])


@pass_context
def _when(context, moment: datetime, timezone: str, with_date: bool = True) -> str:
    """A moment as the reader reads it, in the event's own zone (a forum in Nagoya is at Nagoya's time)."""
    return _local_moment(moment, timezone, context["language"], with_date)


@lru_cache(maxsize=4096)  # an event's page shows the same few moments to every reader of a language
def _local_moment(moment: datetime, timezone: str, language: str, with_date: bool) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    locale = babel_locale(language)
    time = format_time(local, "short", locale=locale)
    return f"{format_date(local, 'full', locale=locale)} {time}" if with_date else time


@pass_context
def _month_name(context, first: date) -> str:
    """"2027年6月", "June 2027", "tháng 6 năm 2027"."""
    return format_skeleton("yMMMM", first, locale=babel_locale(context["language"]))


@pass_context
def _long_date(context, day: date) -> str:
    return format_date(day, "full", locale=babel_locale(context["language"]))


@pass_context
def _weekdays(context) -> list[str]:
    """The days of the week, Sunday first, as the reader's calendar abbreviates them."""
    names = get_day_names("abbreviated", locale=babel_locale(context["language"]))
    return [names[index] for index in (6, 0, 1, 2, 3, 4, 5)]  # Babel counts from Monday


def _day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


class _FormToken:
    """The page's form token, made (and its cookie set) only if the page shows a form that sends it; in a
    page kept for many readers, a placeholder each reader's own token replaces."""

    def __init__(self, request: Request, placeholder: bool = False) -> None:
        self.request, self.shown = request, False
        self.new_nonce: str | None = None
        self._value: str | None = TOKEN_PLACEHOLDER if placeholder else None

    def __html__(self) -> str:  # what autoescaping asks of it: the token is hex, nothing to escape
        if self._value is None:
            self._value, self.new_nonce = form_token(self.request)
        self.shown = True
        return self._value

    __str__ = __html__


def _signed_in(claim) -> dict:
    """What a page shows of a signed-in browser's session (services/gateway/sessions.py), if any: who,
    whether they organize, and the CSRF token its forms send back."""
    return {"signed_in_as": claim.caller.email if claim else None,
            "organizing": claim is not None and claim.caller.is_organizing,
            "secretariat": claim is not None and claim.caller.is_secretariat,
            "csrf_token": claim.csrf if claim else ""}


def _environment(catalogues: Catalogues, language: str) -> Environment:
    """One language's environment. Not an overlay of a shared one: overlays share their globals (where
    gettext is installed) and their template cache, so the last language installed would speak for all."""
    # StrictUndefined: a name a template uses and no route gives is an error, not a blank on the page
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                              undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], trim_blocks=True,
                              lstrip_blocks=True)
    environment.filters.update(text=_text, when=_when, day=_day, month_name=_month_name,
                               long_date=_long_date, webcal=webcal_url)
    environment.globals.update(WORDS, weekdays=_weekdays)
    # added by jinja2.ext.i18n, which type checkers do not see
    cast(Any, environment).install_gettext_translations(catalogues.translations(language), newstyle=True)
    return environment


class Pages:
    """One environment per language, built at start-up; and the pages already rendered for readers who
    are not signed in, kept by what they show (`same_as`), so that a page read by many is rendered once."""

    def __init__(self, catalogues: Catalogues | None = None, kept: int = KEPT_PAGES) -> None:
        catalogues = catalogues or Catalogues()
        self.environments = {language: _environment(catalogues, language) for language in SUPPORTED_LANGUAGES}
        self._kept: OrderedDict[tuple, tuple[str, bool]] = OrderedDict()
        self._most_kept = kept

    def render(self, request: Request, template: str, status: int = 200, private: bool = False,
               here: str | None = None, theirs: str | None = None, same_as: tuple | None = None,
               **context) -> HTMLResponse:
        """The page in the reader's language; `private`: it shows someone's own data (never stored);
        `here`: the address that shows this page again (the answer to a form names the page to go on to),
        which the language switcher links to; `theirs`: the reader's own language when the page knows it;
        `same_as`: everything the page shows that may change (the event, its places…): a reader who is not
        signed in gets the page kept for it, with their own form token in it."""
        language = page_language(request, theirs)
        path, _, query_string = (here or str(request.url.path) + "?" + request.url.query).partition("?")
        token = _FormToken(request)
        claim = getattr(request.state, "session_claim", None)  # read by the route's access rule, if at all
        key = None if same_as is None or claim else (template, language, path, query_string, same_as)
        kept = self._kept.get(key) if key is not None else None
        if kept is None:
            query = {name: value for name, value in parse_qsl(query_string) if name != "lang"}
            switch = {tag: f"{path}?{urlencode({**query, 'lang': tag})}" for tag in LANGUAGE_NAMES}
            shown = _FormToken(request, placeholder=True) if key is not None else token
            body = self.environments[language].get_template(template).render(
                language=language, html_lang=HTML_LANG.get(language, language), language_names=LANGUAGE_NAMES,
                switch=switch, form_token=shown, **_signed_in(claim), **context)
            if key is not None:
                kept = self._keep(key, body, shown.shown)
        if kept is not None:
            body, with_form = kept
            if with_form:
                body = body.replace(TOKEN_PLACEHOLDER, token.__html__())
        response = HTMLResponse(body, status_code=status)
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Accept-Language, Cookie"
        response.headers["Cache-Control"] = "no-store" if private else "no-cache"
        if token.shown:  # a reader who only reads gets no cookie at all
            remember_form_cookie(request, response, token.new_nonce)
        if chosen := chosen_explicitly(request):
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_SECONDS, path="/",
                                httponly=True, samesite="lax", secure=request.url.scheme == "https")
        return response

    def _keep(self, key: tuple, body: str, with_form: bool) -> tuple[str, bool]:
        self._kept[key] = (body, with_form)
        if len(self._kept) > self._most_kept:
            self._kept.popitem(last=False)
        return body, with_form


def pages_of(request: Request) -> Pages:
    return request.app.state.pages
