"""The contract tests import the clients with no Django settings: keep that possible."""

import os
import subprocess
import sys
from pathlib import Path

SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_clients_and_errors_import_and_work_without_django_settings():
    # Reading a setting without settings raises ImproperlyConfigured, so the imports and
    # constructors below fail the run if they read one; the last lines make sure the run
    # really had no settings (else it would prove nothing).
    code = (
        "from carts.clients.discount import DiscountClient, Discount, Redemption\n"
        "from carts.clients.payment import PaymentClient, Payment\n"
        "from carts import errors\n"
        "DiscountClient('http://d', 't', connect_timeout=1, read_timeout=2, retries=0,\n"
        "               backoff=0, time_budget=1)\n"
        "PaymentClient('http://p', 't')\n"
        "from django.conf import settings\n"
        "from django.core.exceptions import ImproperlyConfigured\n"
        "try:\n"
        "    settings.INSTALLED_APPS\n"
        "except ImproperlyConfigured:\n"
        "    print('ok')\n"
        "else:\n"
        "    print('settings were configured: this run proves nothing')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=SERVICE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
