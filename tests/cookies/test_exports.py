"""The public surface of ketch_cookies, and the README's example run as written."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import ketch_cookies
from ketch_cookies import AbstractCookieJar, CookieJar, DummyCookieJar

README = Path(__file__).resolve().parents[2] / "packages" / "cookies" / "README.md"

PUBLIC = {
    "AbstractCookieJar", "BUILTIN_PUBLIC_SUFFIXES", "ClearCookiePredicate", "Clock",
    "CookieFileError", "CookieJar", "CookieJarError", "CookieLimits", "DummyCookieJar",
    "InvalidCookieError", "JarMorsel", "LooseCookies", "PublicSuffixList", "SentMorsel",
    "__version__", "parse_set_cookie_headers", "quote", "unquote",
}


def test_all_is_the_public_surface() -> None:
    assert set(ketch_cookies.__all__) == PUBLIC
    for name in PUBLIC:
        assert hasattr(ketch_cookies, name), name


def test_aiohttp_constructor_signature() -> None:
    params = inspect.signature(CookieJar).parameters
    assert list(params)[:3] == ["unsafe", "quote_cookie", "treat_as_secure_origin"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert (params["unsafe"].default, params["quote_cookie"].default) == (False, True)
    assert params["treat_as_secure_origin"].default is None


@pytest.mark.parametrize("cls", [CookieJar, DummyCookieJar])
def test_jars_implement_the_interface(cls: type[AbstractCookieJar]) -> None:
    assert issubclass(cls, AbstractCookieJar)
    for method in ("update_cookies", "update_cookies_from_headers", "filter_cookies", "clear",
                   "clear_domain", "__len__", "__iter__"):
        assert callable(getattr(cls, method))


def test_public_names_have_docstrings() -> None:
    for name in PUBLIC - {"__version__", "LooseCookies", "ClearCookiePredicate",
                          "BUILTIN_PUBLIC_SUFFIXES"}:
        assert inspect.getdoc(getattr(ketch_cookies, name)), name


def test_readme_example_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks, "the README has a python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})
