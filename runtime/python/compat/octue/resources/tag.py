from twined_harness.resources import TagDict

__all__ = ["TagDict"]
