"""Exception classes apps can catch, named as in Octue so remote parents map them to the same classes."""


class TwinedHarnessException(Exception):
    """Base class for errors raised by the harness's own API."""


class InvalidMonitorMessage(TwinedHarnessException):
    """A monitor message does not match the twine's `monitor_message_schema`."""


class StrandNotFound(TwinedHarnessException, KeyError):
    """Data was given for a strand the twine does not have."""

    def __str__(self):
        # KeyError quotes its message; Octue's remote messages are plain text.
        return Exception.__str__(self)


class InvalidTagException(TwinedHarnessException, ValueError):
    """A tag name breaks the tag naming rules."""


class InvalidLabelException(TwinedHarnessException, ValueError):
    """A label breaks the label rules."""


class BrokenSequenceException(TwinedHarnessException):
    """Ordered files do not form the expected sequence."""


class UnexpectedNumberOfResultsException(TwinedHarnessException):
    """A filter expected to match exactly one item matched none or several."""


class InvalidInputException(TwinedHarnessException, ValueError):
    """A resource was constructed from inconsistent or malformed data."""


class InvalidStartMessage(TwinedHarnessException):
    """The runner's start message is not valid JSON or lacks required keys."""


class ControlChannelClosed(TwinedHarnessException):
    """The runner closed the control pipe before the question finished."""


class CloudLocationNotSpecified(TwinedHarnessException):
    """A cloud operation (e.g. a download) was asked of a resource that is not in the cloud."""


class InvalidValuesJson(TwinedHarnessException, ValueError):
    """A value given as JSON text could not be parsed."""
