"""servicekit.perf.request_framing says a request is whole exactly where gunicorn's parser ends it.

Each case is checked three ways: every prefix shorter than the request is NEED_MORE and
the whole request is WHOLE (at once and fed a byte at a time), and gunicorn's own parser,
reading the same bytes, ends the request at the same place (what follows it is left for
the next request).
"""

from __future__ import annotations

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from servicekit.perf import request_framing
from servicekit.perf.request_framing import (
    BODY_TOO_LARGE,
    HEAD_TOO_LARGE,
    NEED_MORE,
    WHOLE,
    RequestFrame,
    whole_without_body,
)

CFG = Config()
LIMITS = request_framing.limits_of(CFG, body=1000)

GET = b"GET /api/discounts/SAVE10/ HTTP/1.1\r\nHost: shop\r\nAccept: */*\r\n\r\n"
BODY = b'{"code": "save10"}'
POST = (
    b"POST /api/carts/ HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
    b"content-length: %d\r\n\r\n" % len(BODY)
) + BODY
CHUNKED_HEAD = b"POST /api/carts/ HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"

REQUESTS = {
    "no body": GET,
    "HTTP/1.0, no body": b"GET / HTTP/1.0\r\n\r\n",
    "a CRLF before the request line": b"\r\n" + GET,
    "Content-Length": POST,
    "Content-Length: 0": b"POST / HTTP/1.1\r\nHost: shop\r\nContent-Length: 0\r\n\r\n",
    "Content-Length with blanks": b"PUT / HTTP/1.1\r\nContent-Length: \t3 \r\n\r\nabc",
    "Content-Length, HTTP/1.0": b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
    "a body with an empty line in it": b"POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\n\r\n\r\nab",
    "the header name in a value": b"GET /content-length HTTP/1.1\r\nX-A: Content-Length: 9\r\n\r\n",
    "chunked": CHUNKED_HEAD + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "chunked, hex sizes": CHUNKED_HEAD + b"A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n",
    "chunked with extensions": CHUNKED_HEAD
    + b'5;name=value\r\nhello\r\n3 ;x="a;b"\r\nabc\r\n0;last\r\n\r\n',
    "chunked with trailers": CHUNKED_HEAD + b"3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\n",
    "chunked, body holds CRLFs": CHUNKED_HEAD + b"4\r\n\r\n\r\n\r\n0\r\n\r\n",
    "gzip, chunked": b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    "chunked over two headers": (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n"
        b"1\r\na\r\n0\r\n\r\n"
    ),
}
NEXT = b"GET /next HTTP/1.1\r\nHost: shop\r\n\r\n"


def gunicorn_end(data: bytes) -> int:
    """Where gunicorn's parser ends the first request in ``data`` (its body read)."""
    parser = RequestParser(CFG, iter([data]), ("127.0.0.1", 1))
    request = next(parser)
    while request.body.read(8192):
        pass
    return len(data) - len(parser.unreader.take_buffered())


def verdicts(data: bytes) -> list[int]:
    return [RequestFrame(LIMITS, data[:i]).feed() for i in range(len(data) + 1)]


@pytest.mark.parametrize("request_bytes", REQUESTS.values(), ids=REQUESTS.keys())
def test_a_request_is_whole_where_gunicorn_ends_it_and_not_a_byte_before(request_bytes):
    assert gunicorn_end(request_bytes + NEXT) == len(request_bytes)

    assert verdicts(request_bytes) == [NEED_MORE] * len(request_bytes) + [WHOLE]
    assert RequestFrame(LIMITS, request_bytes + NEXT).feed() == WHOLE  # pipelined


@pytest.mark.parametrize("request_bytes", REQUESTS.values(), ids=REQUESTS.keys())
def test_a_request_fed_a_byte_at_a_time_is_whole_at_its_last_byte(request_bytes):
    frame = RequestFrame(LIMITS)
    seen = [frame.feed(request_bytes[i : i + 1]) for i in range(len(request_bytes))]

    assert seen == [NEED_MORE] * (len(request_bytes) - 1) + [WHOLE]
    assert frame.buf == request_bytes


@pytest.mark.parametrize("request_bytes", REQUESTS.values(), ids=REQUESTS.keys())
def test_the_fast_path_never_calls_whole_what_is_not(request_bytes):
    for i in range(len(request_bytes) + 1):
        if whole_without_body(request_bytes[:i]):
            assert RequestFrame(LIMITS, request_bytes[:i]).feed() == WHOLE


def test_the_fast_path_takes_a_get_and_leaves_a_body_to_the_frame():
    assert whole_without_body(GET)
    assert whole_without_body(GET + NEXT[:5])
    assert not whole_without_body(GET[:-1])
    assert not whole_without_body(POST)
    assert not whole_without_body(CHUNKED_HEAD)


# What gunicorn refuses is whole as soon as the head is: gunicorn answers it, reading
# nothing more, so no thread waits for a body that is never framed.
REFUSED = {
    "two Content-Length": b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
    "Content-Length not a number": b"POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\n",
    "negative Content-Length": b"POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
    "Content-Length and chunked": (
        b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    ),
    "chunked not last": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "an unknown coding": b"POST / HTTP/1.1\r\nTransfer-Encoding: zstd\r\n\r\n",
    "chunked in HTTP/1.0": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    "a bad chunk size": CHUNKED_HEAD + b"5x\r\n",
    "an empty chunk size": CHUNKED_HEAD + b";ext\r\n",
    "a chunk without its CRLF": CHUNKED_HEAD + b"3\r\nabcde",
}


@pytest.mark.parametrize("request_bytes", REFUSED.values(), ids=REFUSED.keys())
def test_a_request_gunicorn_refuses_is_handed_over_for_gunicorn_to_answer(request_bytes):
    assert RequestFrame(LIMITS, request_bytes).feed() == WHOLE

    with pytest.raises(Exception) as refused:  # noqa: PT011 - gunicorn's errors have no common base
        gunicorn_end(request_bytes)
    assert type(refused.value).__module__ == "gunicorn.http.errors"


def test_a_chunk_size_line_longer_than_gunicorn_allows_is_handed_over():
    assert RequestFrame(LIMITS, CHUNKED_HEAD + b"1" * 100).feed() == NEED_MORE
    assert RequestFrame(
        LIMITS, CHUNKED_HEAD + b"1" * (CFG.limit_request_field_size + 1)
    ).feed() == (WHOLE)


def test_a_head_over_gunicorns_limits_is_handed_over_for_gunicorn_to_refuse():
    line = b"GET /" + b"a" * CFG.limit_request_line
    assert RequestFrame(LIMITS, line[: CFG.limit_request_line]).feed() == NEED_MORE
    assert RequestFrame(LIMITS, line + b"aa").feed() == HEAD_TOO_LARGE

    headers = b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200
    assert RequestFrame(LIMITS, headers).feed() == NEED_MORE
    many = b"GET / HTTP/1.1\r\n" + (b"X-" + b"a" * 8000 + b": b\r\n") * 104
    assert RequestFrame(LIMITS, many).feed() == HEAD_TOO_LARGE


def test_a_body_over_the_limit_is_too_large_before_it_is_read():
    at_limit = b"POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n"
    assert RequestFrame(LIMITS, at_limit).feed() == NEED_MORE
    assert RequestFrame(LIMITS, at_limit + b"x" * 1000).feed() == WHOLE
    over = b"POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"
    assert RequestFrame(LIMITS, over).feed() == BODY_TOO_LARGE


def test_a_chunked_body_over_the_limit_is_too_large_as_soon_as_a_chunk_says_so():
    # 0x3e0 = 992 bytes and the chunk's framing fit in 1000; 0x3e9 = 1001 does not
    assert RequestFrame(LIMITS, CHUNKED_HEAD + b"3e0\r\n").feed() == NEED_MORE
    assert RequestFrame(LIMITS, CHUNKED_HEAD + b"3e9\r\n").feed() == BODY_TOO_LARGE
    # many small chunks add up, their framing included
    small = b"1\r\nx\r\n" * 200
    assert RequestFrame(LIMITS, CHUNKED_HEAD + small[:990]).feed() == NEED_MORE
    assert RequestFrame(LIMITS, CHUNKED_HEAD + small).feed() == BODY_TOO_LARGE
    # trailers that never end count too
    trailers = CHUNKED_HEAD + b"0\r\n" + b"X-A: b\r\n" * 200
    assert RequestFrame(LIMITS, trailers).feed() == BODY_TOO_LARGE


def test_a_client_waiting_for_100_continue_is_named_once_its_head_is_in():
    head = b"PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n"
    frame = RequestFrame(LIMITS)
    assert frame.feed(head[:-2]) == NEED_MORE
    assert not frame.expects_continue
    assert frame.feed(head[-2:]) == NEED_MORE
    assert frame.expects_continue
    assert frame.feed(b"abc") == WHOLE

    sent_with_it = RequestFrame(LIMITS, head + b"abc")
    assert sent_with_it.feed() == WHOLE
    http10 = RequestFrame(LIMITS, head.replace(b"HTTP/1.1", b"HTTP/1.0"))
    assert http10.feed() == NEED_MORE
    assert not http10.expects_continue


def test_bytes_that_never_make_a_head_stay_incomplete():
    assert RequestFrame(LIMITS, b"G").feed() == NEED_MORE
    assert RequestFrame(LIMITS, b"GET / HTTP/1.1\r\nHost: shop\r\n").feed() == NEED_MORE
    assert RequestFrame(LIMITS, b"").feed() == NEED_MORE
