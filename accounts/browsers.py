"""A coarse name for a browser, from its user-agent string: all a session list keeps of it."""

from django.utils.translation import gettext_lazy as _

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edg/", "edge"),
    ("OPR/", "opera"),
    ("Firefox/", "firefox"),
    ("Chrome/", "chrome"),
    ("Chromium/", "chrome"),
    ("Safari/", "safari"),
)
_SYSTEMS = (
    ("Android", "android"),
    ("iPhone", "ios"),
    ("iPad", "ios"),
    ("Windows", "windows"),
    ("Mac OS X", "macos"),
    ("CrOS", "chromeos"),
    ("Linux", "linux"),
)

BROWSER_NAMES = {
    "edge": "Edge",
    "opera": "Opera",
    "firefox": "Firefox",
    "chrome": "Chrome",
    "safari": "Safari",
    "other": _("Trình duyệt khác"),
}
SYSTEM_NAMES = {
    "android": "Android",
    "ios": "iOS",
    "windows": "Windows",
    "macos": "macOS",
    "chromeos": "ChromeOS",
    "linux": "Linux",
    "other": _("hệ điều hành khác"),
}


def browser_family(user_agent: str) -> str:
    """'chrome/windows', 'firefox/linux', ...: two codes, never the string itself."""
    browser = next((code for marker, code in _BROWSERS if marker in user_agent), "other")
    system = next((code for marker, code in _SYSTEMS if marker in user_agent), "other")
    return f"{browser}/{system}"


def browser_label(family: str) -> str:
    browser, _sep, system = family.partition("/")
    return f"{BROWSER_NAMES.get(browser, BROWSER_NAMES['other'])} · " + str(
        SYSTEM_NAMES.get(system, SYSTEM_NAMES["other"])
    )
