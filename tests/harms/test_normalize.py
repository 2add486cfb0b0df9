"""Handles and URLs are reduced to one form before their keyed hash is taken."""

import pytest

from harms.normalize import (
    handle_from_url,
    handle_hash,
    handle_normalize,
    item_hashes,
    url_canonical,
    url_hash,
)


@pytest.mark.parametrize(
    "typed", ["kexau", "@KeXau", "  @kexau ", "KEXAU", "@@kexau", "ke\u200bxau", "ｋｅｘａｕ"]
)
def test_it_reads_the_ways_people_write_one_handle_as_one(typed):
    assert handle_normalize(typed) == "kexau"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            "https://www.tiktok.com/@kexau/video/1?utm_source=zalo&is_from_webapp=1",
            "https://tiktok.com/@kexau/video/1",
        ),
        (
            "http://m.facebook.com/groups/123/?fbclid=IwAR0abc#comments",
            "https://facebook.com/groups/123",
        ),
        ("facebook.com/groups/123/", "https://facebook.com/groups/123"),
        ("https://youtu.be/abc?si=XYZ&t=10", "https://youtu.be/abc?t=10"),
        ("https://www.youtube.com/watch?feature=share&v=abc", "https://youtube.com/watch?v=abc"),
        ("HTTPS://Example.COM:443/A/b/?b=2&a=1&gclid=x", "https://example.com/A/b?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://user:secret@example.com/x", "https://example.com/x"),
    ],
)
def test_it_gives_the_same_url_one_canonical_form(one, other):
    assert url_canonical(one) == url_canonical(other)
    assert url_hash(one) == url_hash(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/AbC", "https://example.com/abc"),
        ("https://example.com/page?id=1", "https://example.com/page?id=2"),
        ("https://example.com:8080/x", "https://example.com/x"),
        ("https://tiktok.com/@kexau", "https://tiktok.com/@kexau1"),
        ("https://m.com/x", "https://com/x"),
    ],
)
def test_it_keeps_different_urls_apart(one, other):
    assert url_canonical(one) != url_canonical(other)


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "ftp://example.com/x", "", "https://"])
def test_it_refuses_what_is_not_a_web_address(typed):
    assert url_canonical(typed) == ""
    assert url_hash(typed) == ""


def test_it_keeps_a_handle_apart_from_a_near_miss_and_from_another_platform():
    kexau = handle_hash(platform_code="tiktok", handle="@KeXau")

    assert kexau == handle_hash(platform_code="tiktok", handle="kexau")
    assert kexau != handle_hash(platform_code="tiktok", handle="kexau1")
    assert kexau != handle_hash(platform_code="tiktok", handle="ke.xau")
    assert kexau != handle_hash(platform_code="instagram", handle="kexau")


def test_it_reads_a_handle_from_a_url_only_when_the_item_names_none():
    assert handle_from_url("https://www.tiktok.com/@KeXau/video/7") == "kexau"
    assert handle_from_url("https://facebook.com/kexau") == ""

    from_url, _url = item_hashes(
        platform_code="tiktok", url="https://www.tiktok.com/@KeXau/video/7", handle=""
    )
    named, _url = item_hashes(platform_code="tiktok", url="", handle="kexau")
    assert from_url == named


def test_it_keys_the_hash_so_that_the_plain_sha256_of_a_handle_does_not_find_it(settings):
    import hashlib

    hashed = handle_hash(platform_code="tiktok", handle="kexau")
    assert hashed != hashlib.sha256(b"kexau").hexdigest()
    assert "kexau" not in hashed

    settings.HARMS_MATCH_KEY = "another-key"
    assert handle_hash(platform_code="tiktok", handle="kexau") != hashed
