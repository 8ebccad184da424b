"""Forward root-logger records to the runner as Octue-shaped `log_record` dictionaries."""

import json
import logging
import re

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
STANDARD_ATTRIBUTES = frozenset(
    [
        "name",
        "msg",
        "args",
        "levelname",
        "levelno",
        "pathname",
        "filename",
        "module",
        "exc_info",
        "exc_text",
        "stack_info",
        "lineno",
        "funcName",
        "created",
        "msecs",
        "relativeCreated",
        "thread",
        "threadName",
        "processName",
        "process",
        "taskName",
    ]
)

# Set on records by formatters; they duplicate `msg` and would leak another handler's formatting.
FORMATTER_ATTRIBUTES = frozenset(["message", "asctime"])

_traceback_formatter = logging.Formatter()


def record_to_dict(record):
    """Return the JSON-safe dictionary sent for `record`."""
    try:
        message = record.getMessage()
    except Exception as error:  # A bad format string must not lose the record.
        message = "%s (log message could not be formatted: %s)" % (record.msg, error)

    exc_text = record.exc_text
    if record.exc_info and not exc_text:
        exc_text = _traceback_formatter.formatException(record.exc_info)

    result = {
        "name": record.name,
        "msg": ANSI_ESCAPE.sub("", str(message)),
        "args": None,
        "levelname": record.levelname,
        "levelno": record.levelno,
        "pathname": record.pathname,
        "filename": record.filename,
        "module": record.module,
        "exc_info": None,
        "exc_text": exc_text or None,
        "stack_info": record.stack_info,
        "lineno": record.lineno,
        "funcName": record.funcName,
        "created": record.created,
        "msecs": record.msecs,
        "relativeCreated": record.relativeCreated,
        "thread": record.thread,
        "threadName": record.threadName,
        "processName": record.processName,
        "process": record.process,
    }

    for key, value in record.__dict__.items():
        if key in STANDARD_ATTRIBUTES or key in FORMATTER_ATTRIBUTES or key.startswith("_"):
            continue
        if _is_json_serialisable(value):
            result[key] = value
    return result


def _is_json_serialisable(value):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


class ChannelLogHandler(logging.Handler):
    """Sends each record as a `log_record` message on the channel."""

    def __init__(self, channel, level=logging.INFO):
        super().__init__(level)
        self._channel = channel

    def emit(self, record):
        try:
            self._channel.send({"type": "log_record", "log_record": record_to_dict(record)})
        except Exception:
            self.handleError(record)


def install_log_forwarding(channel, level_name):
    """Attach the forwarding handler to the root logger at `level_name` and return it."""
    level = logging.getLevelName(str(level_name or "INFO").upper())
    if not isinstance(level, int):
        level = logging.INFO
    handler = ChannelLogHandler(channel, level)
    root = logging.getLogger()
    root.addHandler(handler)
    # The root level gates records from every logger that propagates, so it has to admit the requested level.
    root.setLevel(level)
    return handler
