from twined_harness.exceptions import (
    BrokenSequenceException,
    InvalidInputException,
    InvalidLabelException,
    InvalidMonitorMessage,
    InvalidTagException,
    UnexpectedNumberOfResultsException,
)

__all__ = [
    "BrokenSequenceException",
    "InvalidInputException",
    "InvalidLabelException",
    "InvalidMonitorMessage",
    "InvalidTagException",
    "UnexpectedNumberOfResultsException",
]
