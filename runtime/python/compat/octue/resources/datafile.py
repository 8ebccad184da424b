from twined_harness.resources import Datafile

__all__ = ["Datafile"]
