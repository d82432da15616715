"""Where an HTTP/1.x request ends, read from the bytes received so far.

The services' gunicorn worker (``servicekit.perf.gunicorn_worker``) reads every request in its
main loop, without blocking, and hands it to a pool thread only once it is whole: a
client that sends a request slowly, or not at all, then holds no thread. This module
answers the one question that needs: do these bytes hold a whole request yet? It does
not parse the request: gunicorn's own parser does that afterwards, in the thread, from
the same bytes. So wherever the request is malformed in a way gunicorn refuses (two
``Content-Length`` headers, ``Content-Length`` beside ``Transfer-Encoding``, a bad chunk
size), the answer is "whole" as soon as the head is: gunicorn then answers it with its
own error, and it reads nothing more. The framing rules are gunicorn's
(``gunicorn.http.message.Message.set_body_reader``, ``gunicorn.http.body.ChunkedReader``):

- the head ends at the first empty line (CRLF CRLF);
- ``Transfer-Encoding`` whose last coding is ``chunked`` (HTTP/1.1, no
  ``Content-Length``): chunks, each ``size[;extensions] CRLF data CRLF``, then ``0``,
  trailers and an empty line;
- else ``Content-Length: N``: N bytes;
- else no body.

Written by hand, not with h11: h11 parses the whole head again, nearly doubling what
gunicorn's own parse costs a request (perf/README.md has the counts), and its chunk
grammar is not gunicorn's (it refuses ``5 ;ext``, which gunicorn accepts, and accepts a
bare LF in trailers, which gunicorn refuses), so the two would disagree on where a body
ends.
"""

from __future__ import annotations

from dataclasses import dataclass

NEED_MORE = 0  # not whole yet
WHOLE = 1  # the bytes hold a whole request (and perhaps the start of the next)
BODY_TOO_LARGE = 2  # the body is over the limit: answer 413, read no more
HEAD_TOO_LARGE = 3  # no end of head within gunicorn's own limits: let gunicorn refuse it

_HEX = frozenset(b"0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Limits:
    """How much of a request the worker holds at most."""

    line: int  # the request line; longer, gunicorn's parser refuses it
    head: int  # bytes before the end of the head; past it, gunicorn's parser refuses it
    body: int  # body bytes as sent (chunk framing included)
    chunk_line: int  # a chunk-size line, as gunicorn bounds it


def limits_of(cfg, body: int) -> Limits:
    """The limits under gunicorn's settings: a head over them is one gunicorn refuses."""
    line = cfg.limit_request_line if cfg.limit_request_line > 0 else 8190
    fields = cfg.limit_request_fields if cfg.limit_request_fields > 0 else 32768
    field_size = cfg.limit_request_field_size if cfg.limit_request_field_size > 0 else 8190
    return Limits(
        line=line,
        head=line + 2 + fields * (field_size + 2) + 4,
        body=body,
        chunk_line=field_size,
    )


def whole_without_body(data: bytes) -> bool:
    """The fast path: ``data`` holds a whole head that announces no body.

    Most requests (every GET) arrive in one read and are this; anything else goes to
    ``RequestFrame``, which gives the same answer for these.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = data[:end].lower()
    return b"content-length" not in head and b"transfer-encoding" not in head


class RequestFrame:
    """The bytes of one request as they arrive, and whether they are whole yet.

    ``feed`` appends what one read returned and says ``NEED_MORE``, ``WHOLE``,
    ``BODY_TOO_LARGE`` or ``HEAD_TOO_LARGE``. Each call scans only what is new, so a
    request dribbled a byte at a time costs time linear in its size.
    """

    __slots__ = (
        "_body_start",
        "_chunked",
        "_length",
        "_scan",
        "buf",
        "expects_continue",
        "limits",
    )

    def __init__(self, limits: Limits, data: bytes = b"") -> None:
        self.buf = bytearray(data)
        self.limits = limits
        self._body_start = -1  # where the body starts, once the head is whole
        self._length = -1  # the body's Content-Length; -1 when chunked or none
        self._chunked = False
        self._scan = 0  # chunked: where the next chunk-size line starts; head: searched up to
        self.expects_continue = False  # a client waiting for "100 Continue" before its body

    def feed(self, data: bytes = b"") -> int:
        self.buf += data
        if self._body_start < 0:
            verdict = self._head()
            if verdict != NEED_MORE or self._body_start < 0:
                return verdict
        if self._chunked:
            return self._chunks()
        if len(self.buf) - self._body_start >= self._length:
            return WHOLE
        return NEED_MORE

    def _head(self) -> int:
        buf = self.buf
        end = buf.find(b"\r\n\r\n", self._scan)
        if end < 0:
            if len(buf) > self.limits.head or (
                len(buf) > self.limits.line + 2 and buf.find(b"\r\n", 0, self.limits.line + 2) < 0
            ):
                return HEAD_TOO_LARGE
            self._scan = max(0, len(buf) - 3)
            return NEED_MORE
        self._body_start = end + 4
        head = bytes(buf[2:end] if buf.startswith(b"\r\n") else buf[:end])  # one CRLF before
        lines = head.split(b"\r\n")  # the request line is ignored, as gunicorn does
        lengths: list[bytes] = []
        codings: list[bytes] = []
        expect = b""
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                continue  # gunicorn refuses it; the head is whole either way
            name = name.lower()
            if name == b"content-length":
                lengths.append(value.strip(b" \t"))
            elif name == b"transfer-encoding":
                codings += [c.strip(b" \t").lower() for c in value.split(b",")]
            elif name == b"expect":
                expect = value.strip(b" \t").lower()
        version = lines[0][-8:]
        if codings:
            # gunicorn reads chunks only when chunked is the last coding of an HTTP/1.1
            # request without Content-Length; it refuses every other Transfer-Encoding.
            if codings[-1] != b"chunked" or lengths or version != b"HTTP/1.1":
                return WHOLE
            self._chunked = True
            self._scan = self._body_start
        elif lengths:
            if len(lengths) > 1 or not lengths[0].isdigit():
                return WHOLE  # gunicorn refuses it
            self._length = int(lengths[0])
            if self._length > self.limits.body:
                return BODY_TOO_LARGE
        else:
            return WHOLE
        self.expects_continue = expect == b"100-continue" and version == b"HTTP/1.1"
        return NEED_MORE

    def _chunks(self) -> int:
        """gunicorn's ``ChunkedReader`` rules: where the chunks and trailers end."""
        buf = self.buf
        pos = self._scan
        while True:
            if pos - self._body_start > self.limits.body:
                return BODY_TOO_LARGE
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                if len(buf) - pos > self.limits.chunk_line:
                    return WHOLE  # gunicorn refuses the line
                self._scan = pos
                return NEED_MORE
            size, semicolon, _ = bytes(buf[pos:eol]).partition(b";")
            if semicolon:
                size = size.rstrip(b" \t")
            if not size or not _HEX.issuperset(size):
                return WHOLE  # gunicorn refuses the size
            length = int(size, 16)
            if length == 0:
                return self._trailers(eol + 2, pos)
            end = eol + 2 + length
            if end - self._body_start > self.limits.body:
                return BODY_TOO_LARGE
            if len(buf) < end + 2:
                self._scan = pos
                return NEED_MORE
            if buf[end : end + 2] != b"\r\n":
                return WHOLE  # gunicorn refuses a chunk without its CRLF
            pos = end + 2

    def _trailers(self, start: int, last_chunk: int) -> int:
        buf = self.buf
        if buf[start : start + 2] == b"\r\n" or buf.find(b"\r\n\r\n", start) >= 0:
            return WHOLE
        if len(buf) - self._body_start > self.limits.body:
            return BODY_TOO_LARGE
        self._scan = last_chunk
        return NEED_MORE
