"""The invariants of carts, payments and codes, read from the services' own databases."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid


def rows(db_url: str, sql: str) -> list[tuple]:
    if db_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(db_url.removeprefix("sqlite:///"))) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute(sql).fetchall()


def invariants(db_urls: dict[str, str]) -> dict:
    """Every paid cart: exactly one succeeded payment, the one it shows; no cart charged
    twice; every succeeded payment's cart paid; each code's uses = paid carts holding it."""
    carts = {
        uuid.UUID(str(cid)): (status, last_id, code)
        for cid, status, last_id, code in rows(
            db_urls["cart"],
            "SELECT id, payment_status, last_payment_id, discount_code FROM carts_cart",
        )
    }
    succeeded: dict[uuid.UUID, list[uuid.UUID]] = {}
    for pid, reference in rows(
        db_urls["payment"], "SELECT id, reference FROM payments_payment WHERE status = 'succeeded'"
    ):
        if not reference.startswith("cart:"):
            continue  # sql_counts.py's direct payment
        succeeded.setdefault(uuid.UUID(reference.removeprefix("cart:")), []).append(
            uuid.UUID(str(pid))
        )
    problems: list[str] = []
    for cid, (status, last_id, _code) in carts.items():
        paid_with = succeeded.get(cid, [])
        if len(paid_with) > 1:
            problems.append(f"cart {cid} has {len(paid_with)} succeeded payments")
        if (
            status == "paid"
            and paid_with
            and paid_with != ([uuid.UUID(last_id)] if last_id else [])
        ):
            problems.append(f"paid cart {cid} shows payment {last_id!r}, succeeded {paid_with}")
        if status == "paid" and not paid_with:
            problems.append(f"paid cart {cid} has no succeeded payment")
        if paid_with and status != "paid":
            problems.append(f"cart {cid} is {status} but payment {paid_with[0]} succeeded")
    for cid in succeeded.keys() - carts.keys():
        problems.append(f"succeeded payment for unknown cart {cid}")
    uses = dict(rows(db_urls["discount"], "SELECT code, times_redeemed FROM discounts_discount"))
    for code, times in uses.items():
        holders = sum(1 for s, _, c in carts.values() if s == "paid" and c == code)
        if times != holders:
            problems.append(f"{code}: times_redeemed {times}, paid carts holding it {holders}")
    return {
        "carts": len(carts),
        "paid": sum(1 for s, _, _ in carts.values() if s == "paid"),
        "succeeded_payments": sum(len(v) for v in succeeded.values()),
        "problems": problems,
    }
