import urllib.request

import pytest

from tests.live_server import live_daphne


@pytest.mark.server
def test_it_serves_healthz_from_a_real_daphne_process():
    with live_daphne() as base_url:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
            assert response.status == 200
            assert response.read() == b"ok\n"
        # Every other page needs a login: the case list redirects to it.
        request = urllib.request.Request(f"{base_url}/cases/")
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=5)
        assert redirect.value.code == 302
        assert "/accounts/login/" in redirect.value.headers["Location"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
