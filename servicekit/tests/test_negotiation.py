"""JSONFirstNegotiation answers exactly as DRF's own negotiation does, only faster."""

import pytest
from django.http import Http404
from rest_framework import exceptions, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from servicekit.drf import ProblemJSONRenderer
from servicekit.perf.drf import JSONFirstNegotiation


class HTMLRenderer(renderers.TemplateHTMLRenderer):
    pass


RENDERER_LISTS = [
    [renderers.JSONRenderer(), ProblemJSONRenderer()],
    [ProblemJSONRenderer(), renderers.JSONRenderer()],
    [HTMLRenderer(), renderers.JSONRenderer()],
]
ACCEPTS = [
    None,
    "",
    "*/*",
    " */* ",
    "application/json",
    "application/problem+json",
    "application/json; indent=4",
    "text/html, */*;q=0.1",
    "application/xml",
    "application/*",
]


def negotiate(negotiation, accept, renderer_list, path="/x/"):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(path, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderer_list)
    except exceptions.NotAcceptable:
        return "406"
    except Http404:  # ?format= that no renderer has
        return "404"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("renderer_list", RENDERER_LISTS, ids=["json", "problem", "html"])
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("path", ["/x/", "/x/?format=json", "/x/?format=html"])
def test_it_picks_what_drf_picks(accept, renderer_list, path):
    ours = negotiate(JSONFirstNegotiation(), accept, renderer_list, path)

    assert ours == negotiate(DefaultContentNegotiation(), accept, renderer_list, path)


def test_the_common_case_does_not_parse_the_header(monkeypatch):
    def parse(*args):
        raise AssertionError("parsed")

    monkeypatch.setattr(JSONFirstNegotiation, "_get_parsed_accept_list", parse)

    assert negotiate(JSONFirstNegotiation(), "application/json", RENDERER_LISTS[0]) == (
        "JSONRenderer",
        "application/json",
    )
