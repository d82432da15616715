"""Discount codes, normalised one way for every service that reads them.

A code is matched byte for byte after normalisation, so the rule must not let
Unicode stand in for ASCII: ``str.upper()`` maps the long s (U+017F) to ``"S"`` and the
dotless i (U+0131) to ``"I"``, so it would make ``"\u017fave10"`` find ``SAVE10``.
"""

from __future__ import annotations

import re

from servicekit.money import ASCII_BLANKS

CODE_PATTERN = re.compile(r"[A-Z0-9_-]{3,32}")
CODE_RULE = "3 to 32 characters of A-Z, 0-9, '-' and '_'."


def normalise_code(raw: str) -> str:
    """Trim surrounding blanks and upper-case ASCII letters only.

    Non-ASCII characters are left as they are, so such a code stays invalid
    instead of turning into an ASCII one.
    """
    text = raw.strip(ASCII_BLANKS)
    return "".join(c.upper() if c.isascii() else c for c in text)


def is_valid_code(code: str) -> bool:
    """Whether an already normalised code has the allowed shape."""
    return CODE_PATTERN.fullmatch(code) is not None
