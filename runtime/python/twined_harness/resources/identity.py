"""Helpers shared by the resource classes: IDs, timestamps and path kinds."""

import datetime
import uuid

from ..exceptions import InvalidInputException


def validated_id(value):
    """Return `value` as a UUID string, generating a fresh UUIDv4 when it is None."""
    if value is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidInputException(
            "Value of id '%s' is not a valid uuid string or instance of class UUID" % (value,)
        ) from None


def is_cloud_path(path):
    """True for `gs://` URIs and `http(s)` URLs, which this runtime cannot list or read locally."""
    return isinstance(path, str) and (path.startswith("gs://") or path.startswith("http"))


def parse_timestamp(value):
    """Accept a datetime, POSIX seconds, an ISO string or Octue's encoded datetime; return an aware datetime or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dict) and value.get("_type") == "datetime":
        value = value.get("value")
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, bool):
        raise InvalidInputException("A timestamp cannot be a boolean (got %r)." % (value,))
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        try:
            return datetime.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidInputException(
        "Invalid timestamp %r: use a datetime, POSIX seconds or an ISO 8601 string." % (value,)
    )


def timestamp_to_posix(timestamp):
    """Return POSIX seconds for a datetime (naive ones are taken as UTC), or None."""
    if timestamp is None:
        return None
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=datetime.timezone.utc)
    return timestamp.timestamp()
