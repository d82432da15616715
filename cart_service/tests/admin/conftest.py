import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from servicekit.operators.groups import ACT, READ


def _operator(username: str, group: str) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.set([Group.objects.get(name=group)])
    return user


@pytest.fixture
def actor(db) -> Client:
    """A browser signed in as an operator of the group operators-act."""
    client = Client()
    client.force_login(_operator("ada", ACT))
    return client


@pytest.fixture
def viewer(db) -> Client:
    """A browser signed in as an operator of the group operators-read."""
    client = Client()
    client.force_login(_operator("vic", READ))
    return client


@pytest.fixture(autouse=True)
def _providers(mocked):
    """Provider calls are answered at the HTTP boundary; unregistered ones fail."""
    return mocked
