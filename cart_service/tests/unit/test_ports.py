"""The HTTP clients and the tests' fakes answer to the same Protocols the services use."""

import inspect

import pytest

from carts.clients.catalog import CatalogClient
from carts.clients.discount import DiscountClient
from carts.clients.payment import PaymentClient
from carts.clients.ports import CatalogProvider, DiscountProvider, PaymentProvider
from tests.fakes import FakeCatalogClient, FakeDiscountClient, FakePaymentClient

IMPLEMENTATIONS = [
    (CatalogProvider, CatalogClient),
    (CatalogProvider, FakeCatalogClient),
    (DiscountProvider, DiscountClient),
    (DiscountProvider, FakeDiscountClient),
    (PaymentProvider, PaymentClient),
    (PaymentProvider, FakePaymentClient),
]


def methods(protocol) -> list[str]:
    return [
        name
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    ]


def parameters(function) -> list[tuple[str, object]]:
    """Names and kinds (positional, keyword-only) of a method's parameters, self left out."""
    listed = list(inspect.signature(function).parameters.values())[1:]
    return [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in listed]


@pytest.mark.parametrize(
    ("protocol", "implementation"),
    IMPLEMENTATIONS,
    ids=[f"{p.__name__}-{i.__name__}" for p, i in IMPLEMENTATIONS],
)
def test_every_method_of_the_port_is_implemented_with_its_signature(protocol, implementation):
    assert methods(protocol), "a port with no methods checks nothing"
    for name in methods(protocol):
        method = getattr(implementation, name, None)
        assert callable(method), f"{implementation.__name__} has no {name}()"
        assert parameters(method) == parameters(getattr(protocol, name)), name
