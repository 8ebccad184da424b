from twined_harness.analysis import Analysis
from twined_harness.child import Child

__all__ = ["Analysis", "Child"]
