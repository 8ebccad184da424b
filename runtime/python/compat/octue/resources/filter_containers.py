from twined_harness.resources import FilterList, FilterSet

__all__ = ["FilterList", "FilterSet"]
