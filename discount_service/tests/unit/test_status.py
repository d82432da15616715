"""The computed status of a discount, with an injected clock."""

from datetime import UTC, datetime, timedelta

import pytest

from discounts.domain import Status, discount_status

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def status(now=NOW, **overrides) -> Status:
    terms = {
        "starts_at": NOW - timedelta(days=1),
        "ends_at": NOW + timedelta(days=1),
        "is_active": True,
        "max_redemptions": None,
        "times_redeemed": 0,
    }
    terms.update(overrides)
    return discount_status(now=now, **terms)


def test_an_ordinary_discount_is_active():
    assert status() == Status.ACTIVE


def test_before_starts_at_it_is_scheduled():
    assert status(starts_at=NOW + SECOND) == Status.SCHEDULED


def test_exactly_at_starts_at_it_is_active():
    assert status(starts_at=NOW) == Status.ACTIVE


def test_after_ends_at_it_is_expired():
    assert status(ends_at=NOW - SECOND) == Status.EXPIRED


def test_exactly_at_ends_at_it_is_still_active():
    assert status(ends_at=NOW) == Status.ACTIVE


def test_without_ends_at_it_never_expires():
    assert status(ends_at=None, now=NOW + timedelta(days=36500)) == Status.ACTIVE


def test_switched_off_it_is_inactive():
    assert status(is_active=False) == Status.INACTIVE


@pytest.mark.parametrize(
    ("times_redeemed", "expected"), [(4, Status.ACTIVE), (5, Status.EXHAUSTED)]
)
def test_it_is_exhausted_once_redeemed_max_times(times_redeemed, expected):
    assert status(max_redemptions=5, times_redeemed=times_redeemed) == expected


def test_unlimited_is_never_exhausted():
    assert status(max_redemptions=None, times_redeemed=10**6) == Status.ACTIVE


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # scheduled wins over everything else
        (
            {
                "starts_at": NOW + SECOND,
                "is_active": False,
                "max_redemptions": 1,
                "times_redeemed": 1,
            },
            Status.SCHEDULED,
        ),
        # expired wins over inactive and exhausted
        (
            {
                "ends_at": NOW - SECOND,
                "is_active": False,
                "max_redemptions": 1,
                "times_redeemed": 1,
            },
            Status.EXPIRED,
        ),
        # inactive wins over exhausted
        ({"is_active": False, "max_redemptions": 1, "times_redeemed": 1}, Status.INACTIVE),
    ],
)
def test_statuses_are_checked_in_the_documented_order(overrides, expected):
    assert status(**overrides) == expected
