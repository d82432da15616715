"""The reads' HTTP caching: Cache-Control with a bounded max-age, an ETag, 304 on a match."""

import pytest

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
READS = ["/api/products/MUG-1/", "/api/products/", "/api/products/?sku=MUG-1&sku=TV-65"]


@pytest.fixture(autouse=True)
def products():
    ProductFactory(sku="MUG-1")
    ProductFactory(sku="TV-65")


@pytest.mark.parametrize("url", READS)
def test_a_read_says_how_long_it_may_be_reused_and_carries_an_etag(anon, url, settings):
    settings.CATALOG_CACHE_MAX_AGE = 7

    response = anon.get(url)

    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=7"}
    assert response["ETag"].startswith('"')


@pytest.mark.parametrize("url", READS)
def test_the_current_etag_is_answered_304_without_a_body(anon, url):
    etag = anon.get(url)["ETag"]

    response = anon.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "max-age=" in response["Cache-Control"]


def test_a_change_gives_a_new_etag_and_the_old_one_gets_the_new_body(anon, admin):
    etag = anon.get("/api/products/MUG-1/")["ETag"]

    admin.patch("/api/products/MUG-1/", {"prices": {"USD": "9.99"}}, format="json")
    response = anon.get("/api/products/MUG-1/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["prices"] == {"USD": "9.99"}
    assert response["ETag"] != etag


def test_the_etag_is_of_the_answer_so_skus_in_another_case_share_it(anon):
    assert anon.get("/api/products/mug-1/")["ETag"] == anon.get("/api/products/MUG-1/")["ETag"]


@pytest.mark.parametrize(
    ("url", "status"), [("/api/products/NOPE/", 404), ("/api/products/?sku=", 400)]
)
def test_errors_are_not_cacheable(anon, url, status):
    response = anon.get(url)

    assert response.status_code == status
    assert not response.has_header("ETag")
    assert not response.has_header("Cache-Control")


def test_writes_are_not_cacheable(admin):
    created = admin.post("/api/products/", {"sku": "NEW", "name": "New"}, format="json")
    changed = admin.patch("/api/products/NEW/", {"active": False}, format="json")

    for response in (created, changed):
        assert not response.has_header("ETag")
        assert not response.has_header("Cache-Control")


def test_max_age_zero_makes_clients_revalidate_every_time(anon, settings):
    settings.CATALOG_CACHE_MAX_AGE = 0

    assert "max-age=0" in anon.get("/api/products/MUG-1/")["Cache-Control"]
