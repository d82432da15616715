import pytest


@pytest.fixture(autouse=True)
def _providers(mocked):
    """Provider calls are answered at the HTTP boundary; unregistered ones fail. (The
    operators, actor and viewer, are servicekit.testing's.)"""
    return mocked
