"""HTTP sessions that connect from another loopback address (127.0.0.2, ...).

On Linux the whole of 127.0.0.0/8 is local, so a test can play several clients with
distinct addresses against services bound to 127.0.0.1, without trusting any header.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self._source = (address, 0)
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self._source
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    """A session whose connections come from ``address``; each request on a new one,
    so that the requests spread over the service's gunicorn workers."""
    session = requests.Session()
    session.mount("http://", _SourceAddressAdapter(address))
    session.headers["Connection"] = "close"
    return session
