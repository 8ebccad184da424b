"""Octue-compatible data containers: `Manifest`, `Dataset`, `Datafile` and their filtering helpers."""

from .datafile import Datafile
from .dataset import Dataset
from .filter_containers import FilterList, FilterSet
from .manifest import Manifest
from .tags_and_labels import LabelSet, TagDict, validate_label, validate_tag_name

__all__ = [
    "Datafile",
    "Dataset",
    "FilterList",
    "FilterSet",
    "LabelSet",
    "Manifest",
    "TagDict",
    "validate_label",
    "validate_tag_name",
]
