"""Verify every pact naming a provider against the really running provider (pact.Verifier).

States go through the provider's own POST /_pact/provider-states, teardown on,
exactly as the CLI verification (`make verify-pacts`) does it.
"""

from __future__ import annotations

import time

from pact import Verifier

from contracts.common import PACTS, PACTS_DIR, check_pact_name


def test_provider_honours_its_pacts(provider):
    files = [PACTS_DIR / name for name in PACTS[provider.name]]
    for path in files:
        assert path.exists(), f"{path} is missing: run `make pacts` first"
        check_pact_name(path, provider.name)
    verifier = (
        Verifier(provider.name, host="127.0.0.1")
        .add_transport(url=provider.url)
        .state_handler(provider.states_url, teardown=True, body=True)
        .set_request_timeout(10_000)
        .set_coloured_output(enabled=False)
    )
    for path in files:
        verifier.add_source(path)
    started = time.perf_counter()
    try:
        verifier.verify()
    except RuntimeError:
        print(verifier.output(strip_ansi=True))
        print(f"--- {provider.name} log (tail) ---\n{provider.log()[-4000:]}")
        raise
    finally:
        print(f"{provider.name}: verified in {time.perf_counter() - started:.2f}s")
