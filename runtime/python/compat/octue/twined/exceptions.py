from twined_harness.exceptions import InvalidValuesJson, StrandNotFound

__all__ = ["InvalidValuesJson", "StrandNotFound"]
