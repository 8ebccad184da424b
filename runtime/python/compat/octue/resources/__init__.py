from twined_harness.analysis import Analysis
from twined_harness.child import Child
from twined_harness.resources import Datafile, Dataset, Manifest

__all__ = ["Analysis", "Child", "Datafile", "Dataset", "Manifest"]
