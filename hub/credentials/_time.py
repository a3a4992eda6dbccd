"""ISO-8601 timestamps as credential sources write them (``Expiration``, env vars)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# datetime.fromisoformat on 3.10 rejects "Z" and fractions that are not 3 or 6 digits, both of
# which credential helpers emit, so parse the RFC 3339 subset ourselves.
_ISO8601 = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?\s*"
)


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 / RFC 3339 timestamp into an aware datetime.

    A timestamp without an offset is taken as UTC (credential sources write UTC).

    Args:
        text: Such as ``2030-01-01T00:00:00Z`` or ``2030-01-01T02:00:00.123+02:00``.

    Returns:
        A timezone-aware datetime.

    Raises:
        ValueError: ``text`` is not such a timestamp.
    """
    match = _ISO8601.fullmatch(text)
    if match is None:
        raise ValueError("not an ISO-8601 timestamp")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    micros = int((fraction + "000000")[:6])
    tz = timezone.utc  # datetime.UTC is 3.11+
    if match.group(9):
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        tz = timezone(-offset if match.group(9) == "-" else offset)
    return datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
