"""The public help pages: /help/ in Vietnamese, /help/en/ in English, readable offline.

The language is part of the address, never a cookie or a query string, so a
page sets no cookie and a link to it carries nothing about the reader. Every
reader gets the same page, so the copy the service worker keeps for offline
reading holds nothing personal either.
"""

import hashlib
import json
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from handbook.markup import render_help_text
from handbook.models import HelpPage
from handbook.selectors import help_page_get_published, help_pages_published

# The site's strict policy (only its own scripts, styles and requests; the worker
# too, through script-src 'self'), plus the pages' empty data: favicon, as on the chat.
HELP_CSP = {"img-src": ["data:"]}

LANGUAGES = ("vi", "en")
# URL names per language: the list, one page and the offline notice.
URL_NAMES = {
    "vi": {"list": "handbook:list", "page": "handbook:page", "offline": "handbook:offline"},
    "en": {
        "list": "handbook:list_en",
        "page": "handbook:page_en",
        "offline": "handbook:offline_en",
    },
}
STYLESHEET = "handbook/help.css"
SCRIPT = "handbook/help.js"


def help_url(name: str, language: str, slug: str | None = None) -> str:
    args = [slug] if slug else []
    return reverse(URL_NAMES[language][name], args=args)


def _other(language: str) -> str:
    return "en" if language == "vi" else "vi"


def _render(request, template: str, context: dict, *, language: str, status: int = 200):
    """Render a public help page in the language of its address, with the site's strict headers."""
    with translation.override(language):
        response = render(
            request,
            template,
            {
                "language": language,
                "other_language": _other(language),
                "list_url": help_url("list", language),
                "quick_exit_url": settings.QUICK_EXIT_URL,
                "worker_url": reverse("handbook:worker"),
                "worker_scope": help_url("list", "vi"),
                "chat_url": reverse("chat"),
                **context,
            },
            status=status,
        )
    response["Content-Language"] = language
    # Neither quick exit's destination nor any other site learns where the reader came from.
    response["Referrer-Policy"] = "no-referrer"
    # Always ask the server first; the offline copy lives in the service worker's cache.
    patch_cache_control(response, no_cache=True)
    return response


def _entry(page: HelpPage, language: str) -> dict:
    return {"text": page.in_language(language), "url": help_url("page", language, page.slug)}


@login_not_required
@csp_update(HELP_CSP)
@require_GET
def help_list(request, language: str):
    """Every published page, in reading order."""
    entries = [_entry(page, language) for page in help_pages_published()]
    return _render(
        request,
        "handbook/list.html",
        {"entries": entries, "other_url": help_url("list", _other(language))},
        language=language,
    )


@login_not_required
@csp_update(HELP_CSP)
@require_GET
def help_page(request, language: str, slug: str):
    """One published page; a draft, a page taken down or an unknown address is a 404."""
    try:
        page = help_page_get_published(slug=slug)
    except Http404:
        # Answered here rather than by the site's 404 page, so it stays in the address's language.
        return _render(
            request, "handbook/not_found.html", {"other_url": None}, language=language, status=404
        )
    text = page.in_language(language)
    return _render(
        request,
        "handbook/page.html",
        {
            "page": page,
            "text": text,
            "body_html": render_help_text(text.body),
            "other_url": help_url("page", _other(language), page.slug),
        },
        language=language,
    )


@login_not_required
@csp_update(HELP_CSP)
@require_GET
def help_offline(request, language: str):
    """What the service worker shows for a help page that was never opened on this device."""
    return _render(
        request,
        "handbook/offline.html",
        {"other_url": help_url("offline", _other(language))},
        language=language,
    )


def _worker_config() -> dict:
    offline = {language: help_url("offline", language) for language in LANGUAGES}
    lists = [help_url("list", language) for language in LANGUAGES]
    assets = [static(STYLESHEET), static(SCRIPT)]
    return {
        "scope": help_url("list", "vi"),
        "manage": reverse("handbook:manage"),
        "worker": reverse("handbook:worker"),
        "english": help_url("list", "en"),
        "assets": static("handbook/"),
        "offline": offline,
        "precache": [*lists, *offline.values(), *assets],
    }


@login_not_required
@require_GET
def help_worker(request):
    """The service worker, served under /help/ so that its scope covers the help pages only.

    Its settings (the addresses to keep, the static files' current names) come
    first; the cache's name follows the whole text, so a deploy that changes any
    of it starts a fresh cache and the browser drops the old one.
    """
    source = Path(finders.find("handbook/sw.js")).read_text(encoding="utf-8")
    config = _worker_config()
    digest = hashlib.sha256((json.dumps(config, sort_keys=True) + source).encode()).hexdigest()
    config["cache"] = f"handbook-{digest[:16]}"
    body = f"self.HANDBOOK_WORKER = {json.dumps(config, sort_keys=True)};\n{source}"
    # The site's policy governs the worker too: its fetches may go to this site only.
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = config["scope"]
    patch_cache_control(response, no_cache=True)
    return response
