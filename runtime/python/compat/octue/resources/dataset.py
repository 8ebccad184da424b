from twined_harness.resources import Dataset

__all__ = ["Dataset"]
