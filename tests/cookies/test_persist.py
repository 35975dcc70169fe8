"""save/load (versioned JSON) and Netscape cookies.txt: round trips and hostile files."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketch_cookies import CookieFileError, CookieLimits

from .helpers import T0, make_jar, receive, sent


URLS = ("https://www.example.com/app/x", "https://api.example.com/", "http://www.example.com/")


def filled_jar() -> Any:
    jar, clock = make_jar()
    receive(
        jar, "https://www.example.com/app/login",
        "host=1; Path=/",
        "dom=2; Domain=example.com; Path=/",
        "sec=3; Secure; HttpOnly; SameSite=Strict; Max-Age=3600",
        "part=4; Secure; Partitioned; SameSite=None; Path=/",
        'quoted="a\\073b"; Path=/',
        "__Host-h=5; Secure; Path=/",
    )
    clock.advance(1)
    jar.update_cookies({"shared": "x y"})
    return jar, clock


def snapshot(jar: Any) -> list[str]:
    return [m.OutputString() for m in jar]


def test_json_round_trip_keeps_everything(tmp_path: Path) -> None:
    jar, clock = filled_jar()
    path = tmp_path / "cookies.json"
    jar.save(path)
    loaded, loaded_clock = make_jar()
    loaded_clock.now = clock.now
    loaded.load(str(path))
    assert snapshot(loaded) == snapshot(jar)
    for url in URLS:
        assert sent(loaded, url) == sent(jar, url)
    # The host-only scope survived: the host cookie does not leak to a subdomain.
    assert sent(loaded, "https://api.example.com/") == 'dom=2; shared="x y"'
    assert sent(loaded, "https://www.example.com/").startswith("host=1; dom=2")


def test_json_keeps_absolute_expiry(tmp_path: Path) -> None:
    jar, _ = filled_jar()
    jar.save(tmp_path / "c.json")
    later, clock = make_jar()
    clock.now = T0 + 3599
    later.load(tmp_path / "c.json")
    assert "sec" in {m.key for m in later}
    clock.now = T0 + 3600
    assert "sec" not in {m.key for m in later}
    stale, stale_clock = make_jar()
    stale_clock.now = T0 + 7200
    stale.load(tmp_path / "c.json")  # expired entries are skipped, not an error
    assert "sec" not in {m.key for m in stale} and len(stale) == 6


def test_json_keeps_order_and_last_use(tmp_path: Path) -> None:
    jar, clock = make_jar(limits=CookieLimits(max_cookies_per_domain=3))
    receive(jar, "http://example.com/", "a=1", "b=2", "c=3")
    clock.advance(1)
    sent(jar, "http://example.com/")
    clock.advance(1)
    receive(jar, "http://example.com/", "a=11")  # a is now the most recently used
    jar.save(tmp_path / "c.json")
    loaded, loaded_clock = make_jar(limits=CookieLimits(max_cookies_per_domain=3))
    loaded_clock.now = clock.now + 1
    loaded.load(tmp_path / "c.json")
    receive(loaded, "http://example.com/", "d=4")  # evicts b: least recently used
    assert sent(loaded, "http://example.com/x") == "a=11; c=3; d=4"  # a kept its creation


def test_save_is_private_and_atomic(tmp_path: Path) -> None:
    jar, _ = filled_jar()
    path = tmp_path / "c.json"
    path.write_text("old contents")
    path.chmod(0o644)
    jar.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["c.json"]
    doc = json.loads(path.read_text())
    assert (doc["format"], doc["version"]) == ("ketch-cookies", 1)
    host = next(c for c in doc["cookies"] if c["name"] == "host")
    assert host["host_only"] is True and host["domain"] == "www.example.com"


def test_load_replaces_the_jar(tmp_path: Path) -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "a=1")
    jar.save(tmp_path / "c.json")
    other, _ = make_jar()
    receive(other, "http://example.org/", "z=1")
    other.load(tmp_path / "c.json")
    assert [m.key for m in other] == ["a"]


def _entry(**changes: Any) -> dict[str, Any]:
    entry = {
        "name": "a", "value": "1", "coded_value": "1", "domain": "example.com",
        "host_only": True, "path": "/", "secure": False, "http_only": False,
        "expires": None, "creation": T0, "last_access": T0, "same_site": None,
        "partitioned": False,
    }
    entry.update(changes)
    return entry


def _doc(*entries: Any, **top: Any) -> str:
    doc = {"format": "ketch-cookies", "version": 1, "cookies": list(entries)}
    doc.update(top)
    return json.dumps(doc)


HOSTILE = [
    ("not json at all", "not valid JSON"),
    ("", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),
    ('{"cookies": []}', "not a ketch-cookies file"),
    ("[]", "not a ketch-cookies file"),
    (_doc(version=2), "unsupported version 2"),
    (_doc(version="1"), "unsupported version '1'"),
    (_doc(version=True), "unsupported version True"),
    (_doc(cookies={}), "exactly"),
    (_doc(extra=1), "exactly"),
    (_doc("a=1"), "cookie #0: must be an object, got str"),
    (_doc(_entry(), {"name": "b"}), "cookie #1: fields missing"),
    (_doc({**_entry(), "evil": 1}), "unknown ['evil']"),
    (_doc(_entry(secure=1)), "field 'secure' must be true or false, got 1"),
    (_doc(_entry(name=5)), "field 'name' must be a string, got 5"),
    (_doc(_entry(expires="tomorrow")), "field 'expires' must be a finite number or null"),
    (_doc(_entry(creation=True)), "field 'creation' must be a finite number, got True"),
    (_doc(_entry()).replace('"expires": null', '"expires": NaN'), "NaN is not a valid number"),
    (_doc(_entry()).replace('"expires": null', '"expires": 1e999'), "field 'expires'"),
    (_doc(_entry()).replace('"expires": null', '"expires": ' + "9" * 5000), "not valid JSON"),
    (_doc(_entry(value="v" * 5000, coded_value="v" * 5000)), "over the limit of 4096"),
    (_doc(_entry(name="a;b")), "invalid cookie name 'a;b'"),
    (_doc(_entry(coded_value="x\r\nInjected: 1")), "control character"),
    (_doc(_entry(path="relative")), "invalid path 'relative'"),
    (_doc(_entry(domain="Example.COM")), "invalid domain 'Example.COM'"),
    (_doc(_entry(domain="exa mple.com")), "invalid domain"),
    (_doc(_entry(domain="", host_only=True)), "host-only cookie needs a domain"),
    (_doc(_entry(domain="co.uk", host_only=False)), "'co.uk' is a public suffix"),
    (_doc(_entry(name="__Host-x", secure=True, host_only=False)), "__Host- prefix"),
    (_doc(_entry(name="__Secure-x")), "__Secure- prefix but is not Secure"),
    (_doc(_entry(same_site="Sometimes")), "'same_site' must be Strict, Lax, None or null"),
    (_doc(_entry(), _entry(value="2", coded_value="2")), "cookie #1: duplicate"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_json_raises_and_leaves_the_jar_unchanged(
    tmp_path: Path, text: str, message: str
) -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "before=1")
    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(CookieFileError) as info:
        jar.load(path)
    assert message in str(info.value)
    assert str(path) in str(info.value) and info.value.path == path
    assert isinstance(info.value, ValueError)
    assert [m.key for m in jar] == ["before"]


def test_non_utf8_file(tmp_path: Path) -> None:
    jar, _ = make_jar()
    path = tmp_path / "c.json"
    path.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(CookieFileError, match="not UTF-8"):
        jar.load(path)


def test_too_many_cookies_and_too_large_a_file(tmp_path: Path) -> None:
    limits = CookieLimits(max_cookies=3, max_cookies_per_domain=2)
    jar, _ = make_jar(limits=limits)
    path = tmp_path / "c.json"
    path.write_text(_doc(*[_entry(name=f"c{i}", domain=f"d{i}.example") for i in range(4)]))
    with pytest.raises(CookieFileError, match="4 cookies, over the jar's limit of 3"):
        jar.load(path)
    path.write_text(_doc(*[_entry(name=f"c{i}") for i in range(3)]))
    with pytest.raises(CookieFileError, match="3 cookies for domain 'example.com'"):
        jar.load(path)
    path.write_text(" " * 200_000 + _doc())
    with pytest.raises(CookieFileError, match="larger than"):
        jar.load(path)
    assert len(jar) == 0


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    jar, _ = make_jar()
    with pytest.raises(FileNotFoundError):
        jar.load(tmp_path / "absent.json")


# ---- Netscape cookies.txt -------------------------------------------------------------------


def test_netscape_round_trip(tmp_path: Path) -> None:
    jar, clock = filled_jar()
    path = tmp_path / "cookies.txt"
    jar.export_netscape(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("# Netscape HTTP Cookie File\n")
    assert "www.example.com\tFALSE\t/\tFALSE\t0\thost\t1" in text
    assert ".example.com\tTRUE\t/\tFALSE\t0\tdom\t2" in text
    assert f"#HttpOnly_www.example.com\tFALSE\t/app\tTRUE\t{int(T0) + 3600}\tsec\t3" in text
    assert "shared" not in text  # no domain to write for a shared cookie
    loaded, loaded_clock = make_jar()
    loaded_clock.now = clock.now
    loaded.import_netscape(path)
    jar.clear(lambda m: m.key == "shared")  # the one cookie the format cannot hold
    for url in URLS:
        assert sent(loaded, url) == sent(jar, url)
    sec = next(m for m in loaded if m.key == "sec")
    assert sec["httponly"] and sec["secure"] and sec["expires"] == "Tue, 14 Nov 2023 23:13:20 GMT"


def test_netscape_import_of_a_curl_file(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(
        "# Netscape HTTP Cookie File\r\n"
        "# https://curl.se/docs/http-cookies.html\r\n"
        "\r\n"
        ".example.com\tTRUE\t/\tFALSE\t0\tsession\tabc\r\n"
        "#HttpOnly_www.example.com\tFALSE\t/p\tTRUE\t2000000000\tsid\txyz\r\n"
        "www.example.com\tFALSE\t/\tfalse\t1000\told\tgone\r\n"  # expired: skipped
        "example.org\tFALSE\t/\tFALSE\t0\tnovalue\r\n"  # six fields: empty value
    )
    jar, _ = make_jar()
    receive(jar, "http://example.org/", "novalue=before", "kept=1")
    jar.import_netscape(path)
    assert sent(jar, "https://www.example.com/p/q") == "sid=xyz; session=abc"
    assert sent(jar, "http://sub.example.com/") == "session=abc"
    assert sent(jar, "http://example.org/") == "novalue=; kept=1"  # merged, later line wins


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("example.com\tFALSE\t/\tFALSE\t0", "line 2: expected 7 tab-separated fields, got 5"),
        ("example.com\tMAYBE\t/\tFALSE\t0\ta\t1", "subdomains field must be TRUE or FALSE"),
        ("example.com\tFALSE\t/\tYES\t0\ta\t1", "secure field must be TRUE or FALSE"),
        ("example.com\tFALSE\t/\tFALSE\t-5\ta\t1", "expiry must be a whole number"),
        ("example.com\tFALSE\t/\tFALSE\t" + "9" * 40 + "\ta\t1", "expiry must be a whole number"),
        ("\tFALSE\t/\tFALSE\t0\ta\t1", "empty domain"),
        (".co.uk\tTRUE\t/\tFALSE\t0\ta\t1", "public suffix"),
        ("example.com\tFALSE\tnoslash\tFALSE\t0\ta\t1", "invalid path"),
        ("example.com\tFALSE\t/\tFALSE\t0\ta;b\t1", "invalid cookie name"),
        ("example.com\tFALSE\t/\tFALSE\t0\ta\t" + "v" * 5000, "over the limit"),
    ],
)
def test_malformed_netscape_lines(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text("# Netscape HTTP Cookie File\n" + line + "\n")
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "before=1")
    with pytest.raises(CookieFileError) as info:
        jar.import_netscape(path)
    assert message in str(info.value)
    assert [m.key for m in jar] == ["before"]


def test_netscape_import_respects_limits(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(
        "".join(f"example.com\tFALSE\t/\tFALSE\t0\tc{i}\t1\n" for i in range(3))
    )
    jar, _ = make_jar(limits=CookieLimits(max_cookies_per_domain=2))
    with pytest.raises(CookieFileError, match="3 cookies for domain 'example.com'"):
        jar.import_netscape(path)


def test_far_future_expiry_in_a_file_is_clamped(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(_doc(_entry(expires=1e300)))
    jar, _ = make_jar(limits=CookieLimits(max_lifetime=None))
    jar.load(path)
    assert [m["expires"] for m in jar] == ["Fri, 31 Dec 9999 23:59:59 GMT"]


def test_netscape_unicode_domain_is_canonicalized(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(".Bücher.example\tTRUE\t/\tFALSE\t0\ta\t1\n", encoding="utf-8")
    jar, _ = make_jar()
    jar.import_netscape(path)
    assert sent(jar, "http://www.xn--bcher-kva.example/") == "a=1"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(_entry())), value=json_values)
def test_any_field_value_loads_or_raises_cookie_file_error(field: str, value: Any) -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "before=1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.json"
        path.write_text(_doc(_entry(**{field: value})))
        try:
            jar.load(path)
        except CookieFileError:
            assert [m.key for m in jar] == ["before"]
        else:
            assert "before" not in {m.key for m in jar}


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_load_as_json(data: bytes) -> None:
    jar, _ = make_jar()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.json"
        path.write_bytes(data)
        with pytest.raises(CookieFileError):
            jar.load(path)


netscape_lines = st.lists(
    st.lists(
        st.sampled_from(["example.com", ".example.com", "TRUE", "FALSE", "/", "/p", "0",
                         "2000000000", "-1", "a", "b=c", "", "#HttpOnly_example.com", "é"]),
        min_size=5, max_size=8,
    ).map("\t".join),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(netscape_lines)
def test_netscape_import_is_all_or_nothing(lines: list[str]) -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.org/", "before=1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cookies.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        try:
            jar.import_netscape(path)
        except CookieFileError:
            assert [m.key for m in jar] == ["before"]
        else:
            assert "before" in {m.key for m in jar}
