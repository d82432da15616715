"""A promotion's rules without a database: how they are validated, and checked against a cart."""

from decimal import Decimal

import pytest

from discounts.domain import (
    CROCKFORD,
    Cart,
    Line,
    Refusal,
    Rules,
    Status,
    code_status,
    issued_code,
    normalise_prefix,
    prefix_error,
    refusal,
    skus_rule,
)

NO_RULES = Rules(currency=None, minimum_subtotal=None, minimum_items=None, skus=None)


def rules(**overrides) -> Rules:
    return Rules(**{**NO_RULES.__dict__, **overrides})


def cart(*lines: tuple[str, int, str], currency: str = "USD") -> Cart:
    return Cart(
        currency=currency,
        lines=tuple(Line(sku, quantity, Decimal(price)) for sku, quantity, price in lines),
    )


MUGS = cart(("MUG-1", 2, "7.50"), ("TEE-3", 1, "22.50"))  # 37.50 USD, 3 items


def check(the_rules: Rules, the_cart: Cart | None = MUGS, **overrides):
    values = {
        "code": "SAVE10",
        "status": Status.ACTIVE,
        "used_by_another": False,
        "holds_use": False,
        "rules": the_rules,
        "cart": the_cart,
    }
    return refusal(**{**values, **overrides})


# -- validating the skus ----------------------------------------------------------------------


def test_skus_are_normalised_as_the_catalog_keeps_them():
    assert skus_rule([" mug-1", "Mug-2 "]) == (("MUG-1", "MUG-2"), [])


@pytest.mark.parametrize(
    ("skus", "says"),
    [
        ([], "at least one"),
        ([f"SKU-{n}" for n in range(101)], "At most 100"),
        (["mug-1", "MUG-1 "], "repeated: MUG-1"),
        (["MUG 1"], "a sku is"),
        (["mug-\u0131"], "a sku is"),  # a dotless i is no ASCII I
        (["x" * 65], "a sku is"),
    ],
)
def test_bad_sku_lists_are_refused(skus, says):
    _, errors = skus_rule(skus)

    assert any(says in error for error in errors), errors


def test_100_distinct_skus_are_allowed():
    assert skus_rule([f"SKU-{n}" for n in range(100)])[1] == []


# -- checking a cart --------------------------------------------------------------------------


def test_a_discount_without_rules_needs_no_cart_and_takes_any():
    assert check(NO_RULES, None) is None
    assert check(NO_RULES) is None


def test_a_cart_exactly_at_both_minimums_meets_them():
    assert check(rules(currency="USD", minimum_subtotal=Decimal("37.50"), minimum_items=3)) is None


def test_a_cart_below_the_minimum_subtotal_is_told_what_to_add():
    refused = check(rules(currency="USD", minimum_subtotal=Decimal("50.00")))

    assert refused.reason == Refusal.MINIMUM_SUBTOTAL
    assert refused.facts == {"minimum_subtotal": "50.00", "currency": "USD", "missing": "12.50"}
    assert "add 12.50 more" in refused.detail


def test_a_cart_below_the_minimum_items_is_told_how_many_to_add():
    refused = check(rules(minimum_items=5))

    assert refused.reason == Refusal.MINIMUM_ITEMS
    assert refused.facts == {"minimum_items": 5, "missing_items": 2}


def test_the_minimums_count_the_whole_cart_also_when_restricted_to_some_skus():
    # the mugs alone are 15.00 and 2 items; the whole cart 37.50 and 3
    restricted = rules(currency="USD", minimum_subtotal=Decimal("30.00"), minimum_items=3)

    assert check(Rules(**{**restricted.__dict__, "skus": ("MUG-1",)})) is None


def test_a_cart_without_a_line_of_the_skus_is_not_applicable():
    refused = check(rules(skus=("MUG-9", "CUP-1")))

    assert refused.reason == Refusal.SKUS
    assert refused.facts == {"skus": ["MUG-9", "CUP-1"]}


def test_one_matching_line_is_enough():
    assert check(rules(skus=("MUG-9", "TEE-3"))) is None


def test_a_cart_in_another_currency_is_refused_before_its_minimum_is_counted():
    refused = check(rules(currency="EUR", minimum_subtotal=Decimal("10.00")))

    assert (refused.reason, refused.facts) == (Refusal.CURRENCY, {"currency": "EUR"})


def test_the_first_rule_that_fails_is_the_answer():
    everything = rules(
        currency="USD", minimum_subtotal=Decimal("99.00"), minimum_items=9, skus=("NONE",)
    )

    assert check(everything).reason == Refusal.MINIMUM_SUBTOTAL
    assert check(rules(minimum_items=9, skus=("NONE",))).reason == Refusal.MINIMUM_ITEMS


@pytest.mark.parametrize(
    "the_rules",
    [
        rules(currency="USD", minimum_subtotal=Decimal("1.00")),
        rules(minimum_items=1),
        rules(skus=("MUG-1",)),
    ],
)
def test_any_rule_without_a_cart_is_cart_required(the_rules):
    assert check(the_rules, None).reason == Refusal.CART_REQUIRED


def test_a_fixed_discount_without_rules_checks_the_currency_only_when_a_cart_is_sent():
    fixed = rules(currency="EUR")

    assert check(fixed, None) is None
    assert check(fixed).reason == Refusal.CURRENCY


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Status.SCHEDULED, Refusal.NOT_STARTED),
        (Status.EXPIRED, Refusal.EXPIRED),
        (Status.INACTIVE, Refusal.INACTIVE),
    ],
)
def test_the_status_comes_first_even_for_a_cart_holding_a_use(status, reason):
    refused = check(rules(minimum_items=99), status=status, holds_use=True, used_by_another=True)

    assert refused.reason == reason


def test_a_code_another_cart_holds_is_used_before_the_promotion_is_exhausted():
    assert check(NO_RULES, status=Status.EXHAUSTED, used_by_another=True).reason == (
        Refusal.CODE_USED
    )


def test_an_exhausted_discount_is_refused_unless_the_cart_holds_a_use():
    assert check(NO_RULES, status=Status.EXHAUSTED).reason == Refusal.EXHAUSTED
    assert check(NO_RULES, status=Status.EXHAUSTED, holds_use=True) is None


def test_a_cart_holding_a_use_is_still_held_to_the_rules():
    refused = check(rules(minimum_items=9), holds_use=True)

    assert refused.reason == Refusal.MINIMUM_ITEMS


def test_a_used_issued_code_shows_exhausted_unless_its_promotion_is_already_unusable():
    assert code_status(Status.ACTIVE, used=True) == Status.EXHAUSTED
    assert code_status(Status.ACTIVE, used=False) == Status.ACTIVE
    assert code_status(Status.INACTIVE, used=True) == Status.INACTIVE


# -- issued codes ---------------------------------------------------------------------------


def test_an_issued_code_is_the_prefix_and_12_characters_of_crockford_base32():
    code = issued_code("NEWS-")

    assert code.startswith("NEWS-")
    assert len(code) == 17
    assert set(code[5:]) <= set(CROCKFORD)
    assert not set("ILOU") & set(CROCKFORD)
    assert len(CROCKFORD) == 32  # 5 bits a character: 60 bits


def test_issued_codes_do_not_repeat_and_use_the_whole_alphabet():
    codes = [issued_code("") for _ in range(10_000)]

    assert len(set(codes)) == len(codes)
    assert set("".join(codes)) == set(CROCKFORD)


@pytest.mark.parametrize(
    ("raw", "prefix"), [("news-", "NEWS-"), ("A_1", "A_1"), ("", ""), ("X" * 12, "X" * 12)]
)
def test_a_prefix_is_upper_cased(raw, prefix):
    assert normalise_prefix(raw) == prefix
    assert prefix_error(prefix) is None


@pytest.mark.parametrize("raw", [" NEWS", "NEWS ", "NE WS", "NEWS\t", "X" * 13, "NEWS!", "\u0131X"])
def test_a_prefix_with_blanks_or_other_characters_is_refused(raw):
    assert prefix_error(normalise_prefix(raw)) is not None
