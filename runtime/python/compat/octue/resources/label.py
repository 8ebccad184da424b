from twined_harness.resources import LabelSet

__all__ = ["LabelSet"]
