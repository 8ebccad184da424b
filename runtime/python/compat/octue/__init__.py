"""A stand-in for the `octue` package so Octue apps run unchanged on the Twined harness.

Only the data containers, `Analysis`/`Child` and the exception classes apps catch are provided. The harness puts this
folder on `sys.path` only when a real `octue` package cannot be imported.
"""

TWINED_COMPATIBILITY_SHIM = True
