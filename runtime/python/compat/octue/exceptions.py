from twined_harness.exceptions import (
    BrokenSequenceException,
    CloudLocationNotSpecified,
    InvalidInputException,
    InvalidLabelException,
    InvalidMonitorMessage,
    InvalidTagException,
    UnexpectedNumberOfResultsException,
)

__all__ = [
    "BrokenSequenceException",
    "CloudLocationNotSpecified",
    "InvalidInputException",
    "InvalidLabelException",
    "InvalidMonitorMessage",
    "InvalidTagException",
    "UnexpectedNumberOfResultsException",
]
