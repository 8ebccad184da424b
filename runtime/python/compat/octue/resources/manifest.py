from twined_harness.resources import Manifest

__all__ = ["Manifest"]
