import pytest


@pytest.fixture(autouse=True)
def _catalog(mocked):
    """Every request reaches the stand-in catalog (tests/conftest.py) at the HTTP boundary;
    calls to the other providers fail unless a test answers them."""
    return mocked
