"""The ``Link`` header (RFC 8288) as aiohttp's ``ClientResponse.links`` presents it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from multidict import MultiDict, MultiDictProxy
from yarl import URL

__all__ = ["parse_links"]

# RFC 8288 §3: link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ). Values
# are separated by commas, which may also appear inside <...> and quoted-strings, so each
# value is matched whole rather than split on commas.
_LINK_VALUE_RE = re.compile(
    r'\s*<([^>]*)>((?:[^,"]|"(?:[^"\\]|\\.)*")*)'
)
# link-param = token BWS [ "=" BWS ( token / quoted-string ) ]; a param without a value
# carries nothing aiohttp reports, so it is skipped as aiohttp does.
_PARAM_RE = re.compile(
    r'\s*;\s*([^\s=;,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;,"]*)))?'
)
_QUOTED_PAIR_RE = re.compile(r"\\(.)")


def parse_links(
    values: Iterable[str], base: URL
) -> MultiDictProxy[MultiDictProxy[str | URL]]:
    """Parse the Link header values of a response.

    Args:
        values: every ``Link`` header value, in order.
        base: the response URL; relative targets are resolved against it.

    Returns:
        A multidict keyed by each link's ``rel`` (the target itself when there is no
        ``rel``); each value is a multidict of the link's parameters plus ``url``, the
        resolved target.
    """
    links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
    for value in values:
        pos = 0
        while pos < len(value):
            m = _LINK_VALUE_RE.match(value, pos)
            if m is None:
                # Malformed value: skip to the next comma-separated element.
                nxt = value.find(",", pos)
                if nxt < 0:
                    break
                pos = nxt + 1
                continue
            target, params_text = m.groups()
            pos = m.end()
            if pos < len(value) and value[pos] == ",":
                pos += 1
            link: MultiDict[str | URL] = MultiDict()
            for pm in _PARAM_RE.finditer(params_text):
                name, quoted, plain = pm.groups()
                if quoted is not None:
                    link.add(name, _QUOTED_PAIR_RE.sub(r"\1", quoted))
                elif plain is not None:
                    link.add(name, plain)
            key = link.get("rel", target)
            link.add("url", base.join(URL(target.strip())))
            links.add(str(key), MultiDictProxy(link))
    return MultiDictProxy(links)
