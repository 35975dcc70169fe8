"""``FormData``: HTML form bodies, urlencoded or ``multipart/form-data`` (RFC 7578).

A form is urlencoded until a field needs multipart: a file object, ``bytes`` (sent as a
file named after the field, as aiohttp does), a filename, a content type or a
content-transfer-encoding. Calling the form gives its payload; the payload is made once
and reused, so a form sent again (a 307/308 redirect) replays the same parts.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

from ._mime import check_header, guess_filename
from ._multipart import MultipartWriter
from ._payload import BytesPayload, Payload, get_payload

__all__ = ["FormData"]

_Field = tuple[MultiDict[str], dict[str, str], Any]


class FormData:
    """A form to send as a request body (aiohttp's ``FormData``).

    Args:
        fields: initial fields: a dict, a MultiDict, a sequence of ``(name, value)``
            pairs, or file objects (named after the file).
        quote_fields: percent-encode filenames and RFC 2231-encode non-ASCII names in
            part headers (aiohttp's default); False sends them as UTF-8 in quotes.
        charset: the charset for urlencoding and text parts (default UTF-8).
        default_to_multipart: send multipart even when no field requires it.
    """

    def __init__(
        self, fields: Any = (), quote_fields: bool = True, charset: str | None = None,
        *, default_to_multipart: bool = False,
    ) -> None:
        self._fields: list[_Field] = []
        self._is_multipart = default_to_multipart
        self._quote_fields = quote_fields
        self._charset = charset
        self._payload: Payload | None = None
        if isinstance(fields, dict):
            fields = list(fields.items())
        elif not isinstance(fields, (list, tuple)):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        """Whether the form is sent as ``multipart/form-data``."""
        return self._is_multipart

    def add_field(
        self, name: str, value: Any, *, content_type: str | None = None,
        filename: str | None = None, content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field.

        Args:
            name: the field name.
            value: text, bytes, a file object, or anything ``str()`` turns into text
                (urlencoded forms only).
            content_type: the part's Content-Type (makes the form multipart).
            filename: the part's filename (makes the form multipart); file objects
                default to their own base name.
            content_transfer_encoding: the part's Content-Transfer-Encoding.

        Raises:
            TypeError: *filename* or *content_type* is not a str.
            ValueError: CR, LF or NUL in the name, filename or content type.
        """
        if isinstance(value, io.IOBase):
            self._is_multipart = True
        elif isinstance(value, (bytes, bytearray, memoryview)):
            if filename is None and content_transfer_encoding is None:
                filename = name
        if not isinstance(name, str):
            raise TypeError(f"field name must be str, got {name!r}")
        check_header("Content-Disposition", name)
        disposition: MultiDict[str] = MultiDict({"name": name})
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"filename must be an instance of str. Got: {filename!r}")
        if filename is None and isinstance(value, io.IOBase):
            filename = guess_filename(value, name)
        if filename is not None:
            check_header("Content-Disposition", filename)
            disposition["filename"] = filename
            self._is_multipart = True
        headers: dict[str, str] = {}
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be an instance of str. Got: {content_type!r}")
            check_header("Content-Type", content_type)
            headers["Content-Type"] = content_type
            self._is_multipart = True
        if content_transfer_encoding is not None:
            if not isinstance(content_transfer_encoding, str):
                raise TypeError(
                    "content_transfer_encoding must be an instance of str. "
                    f"Got: {content_transfer_encoding!r}"
                )
            check_header("Content-Transfer-Encoding", content_transfer_encoding)
            headers["Content-Transfer-Encoding"] = content_transfer_encoding
            self._is_multipart = True
        self._fields.append((disposition, headers, value))
        self._payload = None

    def add_fields(self, *fields: Any) -> None:
        """Add several fields: file objects, MultiDicts, or ``(name, value)`` pairs.

        Raises:
            TypeError: an item of another kind (the message shows it).
        """
        to_add: list[Any] = list(fields)
        while to_add:
            rec = to_add.pop(0)
            if isinstance(rec, io.IOBase):
                self.add_field(guess_filename(rec, "unknown") or "unknown", rec)
            elif isinstance(rec, (MultiDictProxy, MultiDict)):
                to_add[0:0] = rec.items()
            elif isinstance(rec, (list, tuple)) and len(rec) == 2:
                self.add_field(rec[0], rec[1])
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, use "
                    f".add_field() for passing more complex parameters, got {rec!r}"
                )

    def _gen_form_urlencoded(self) -> Payload:
        charset = self._charset if self._charset is not None else "utf-8"
        pairs = [(opts["name"], value) for opts, _, value in self._fields]
        content_type = "application/x-www-form-urlencoded"
        if charset != "utf-8":
            content_type += f"; charset={charset}"
        body = urlencode(pairs, doseq=True, encoding=charset).encode("ascii")
        return BytesPayload(body, content_type=content_type)

    def _gen_form_data(self) -> Payload:
        writer = MultipartWriter("form-data")
        for opts, headers, value in self._fields:
            kwargs: dict[str, Any] = {"headers": headers, "encoding": self._charset}
            if "Content-Type" in headers:
                kwargs["content_type"] = headers["Content-Type"]
            try:
                part = get_payload(value, **kwargs)
            except TypeError as exc:
                raise TypeError(
                    f"Can not serialize value type: {type(value)!r}\n headers: {headers!r}\n "
                    f"value: {value!r:.80}"
                ) from exc
            part.set_content_disposition(
                "form-data", quote_fields=self._quote_fields,
                _charset=self._charset or "utf-8", **dict(opts),
            )
            part.headers.popall("Content-Length", None)
            writer.append_payload(part)
        return writer

    def __call__(self) -> Payload:
        """The form's payload (made on first call, then reused)."""
        if self._payload is None:
            self._payload = self._gen_form_data() if self._is_multipart else self._gen_form_urlencoded()
        return self._payload
