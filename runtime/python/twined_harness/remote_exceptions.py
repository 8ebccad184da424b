"""Rebuild exceptions reported by the runner (for monitor messages and child questions) as Python exceptions."""

import builtins

from . import exceptions as harness_exceptions

_synthesised_classes = {}


def exception_class_for(name):
    """Return the builtin or harness exception class called `name`, else a (cached) new `Exception` subclass."""
    for namespace in (builtins, harness_exceptions):
        candidate = getattr(namespace, str(name), None)
        if isinstance(candidate, type) and issubclass(candidate, BaseException):
            return candidate
    name = str(name) or "Exception"
    if name not in _synthesised_classes:
        _synthesised_classes[name] = type(name, (Exception,), {"__module__": "twined_harness.remote_exceptions"})
    return _synthesised_classes[name]


def build_exception(name, message):
    """Instantiate the class called `name` with `message`, falling back to a synthesised class if it needs more args."""
    cls = exception_class_for(name)
    try:
        return cls(message)
    except TypeError:
        synthesised = type(str(name), (Exception,), {"__module__": "twined_harness.remote_exceptions"})
        return synthesised(message)


def child_exception(error, child_id):
    """Build the exception for a child's error using Octue's remote-traceback message format."""
    traceback_lines = error.get("traceback") or []
    message = "%s\n\nThe following traceback was captured from the remote service '%s':\n\n%s" % (
        error.get("message", ""),
        child_id,
        "".join(traceback_lines),
    )
    return build_exception(error.get("type") or "Exception", message)
