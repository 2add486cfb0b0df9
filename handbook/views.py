"""The public help pages: /help/ in Vietnamese, /help/en/ in English.

The language is part of the address, never a cookie or a query string, so a
page sets no cookie and a link to it carries nothing about the reader. Every
reader gets the same page, whoever they are.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from handbook.markup import render_help_text
from handbook.models import HelpPage
from handbook.selectors import help_page_get_published, help_pages_published

# Like the youth chat: only this site's own scripts, styles and requests. A page a
# frightened child opens must not pull code or beacons from anywhere else.
HELP_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
# URL names per language: the list and one page.
URL_NAMES = {
    "vi": {"list": "handbook:list", "page": "handbook:page"},
    "en": {"list": "handbook:list_en", "page": "handbook:page_en"},
}


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
                "chat_url": reverse("chat"),
                **context,
            },
            status=status,
        )
    response["Content-Language"] = language
    response["Content-Security-Policy"] = HELP_CSP
    # Neither quick exit's destination nor any other site learns where the reader came from.
    response["Referrer-Policy"] = "no-referrer"
    # Always ask the server first: a page taken down must not linger in a browser's cache.
    patch_cache_control(response, no_cache=True)
    return response


def _entry(page: HelpPage, language: str) -> dict:
    return {"text": page.in_language(language), "url": help_url("page", language, page.slug)}


@login_not_required
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
