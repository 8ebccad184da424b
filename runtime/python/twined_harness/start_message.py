"""Parse and check the runner's first control line."""

import json

from .exceptions import InvalidStartMessage

REQUIRED_STRING_KEYS = ("question_uuid", "app_source_path", "working_directory", "output_directory")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
OPTIONAL_KEYS = (
    "configuration_values",
    "configuration_manifest",
    "input_values",
    "input_manifest",
    "children",
    "service_sruid",
)


def parse_start_message(line):
    """Return the start message as a dict with every optional key present (None when absent).

    Raises `InvalidStartMessage` naming what is wrong, so the runner's author can fix the sender.
    """
    try:
        message = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidStartMessage("The start message is not valid JSON: %s" % error) from None
    if not isinstance(message, dict):
        raise InvalidStartMessage("The start message must be a JSON object, not %s." % type(message).__name__)
    if message.get("type") != "start":
        raise InvalidStartMessage('The first control message must have "type": "start", not %r.' % message.get("type"))

    missing = [key for key in REQUIRED_STRING_KEYS + ("twine",) if key not in message]
    if missing:
        raise InvalidStartMessage("The start message is missing the key(s): %s." % ", ".join(missing))
    for key in REQUIRED_STRING_KEYS:
        if not isinstance(message[key], str) or not message[key]:
            raise InvalidStartMessage("The start message's %r must be a non-empty string." % key)
    if not isinstance(message["twine"], dict):
        raise InvalidStartMessage("The start message's 'twine' must be the twine as a JSON object.")

    children = message.get("children")
    if children is not None:
        if not isinstance(children, list) or not all(
            isinstance(child, dict) and isinstance(child.get("key"), str) for child in children
        ):
            raise InvalidStartMessage(
                "The start message's 'children' must be null or a list of {key, id, backend} objects."
            )

    log_level = message.get("log_level")
    if log_level is None:
        log_level = "INFO"
    if not isinstance(log_level, str) or log_level.upper() not in LOG_LEVELS:
        raise InvalidStartMessage(
            "The start message's 'log_level' must be one of %s, not %r." % (", ".join(LOG_LEVELS), log_level)
        )

    parsed = {key: message.get(key) for key in OPTIONAL_KEYS}
    parsed.update({key: message[key] for key in REQUIRED_STRING_KEYS})
    parsed["twine"] = message["twine"]
    parsed["log_level"] = log_level.upper()
    return parsed
