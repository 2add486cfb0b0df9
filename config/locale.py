"""Vietnamese first: English only for someone who chose it with the language switch.

Django's LocaleMiddleware follows the browser's Accept-Language header. Many
laptops in Vietnam run an English browser, and the people on the helpline work
in Vietnamese, so the browser's wish is ignored; the language cookie that the
switch sets is the only way to English.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
