"""Validated containers for datafile and dataset tags (a dict) and labels (a set)."""

import json
import re

from ..exceptions import InvalidLabelException, InvalidTagException

TAG_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*(?<!_)$")
LABEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*(?<!-)$")


def validate_tag_name(name):
    """Return `name` if it is a valid tag name, else raise `InvalidTagException`."""
    if not isinstance(name, str) or not TAG_NAME_PATTERN.match(name):
        raise InvalidTagException(
            "Invalid tag name %r: tag names may contain only lowercase letters, digits and underscores, and must not "
            "start or end with an underscore." % (name,)
        )
    return name


def validate_label(label):
    """Return `label` stripped of surrounding whitespace if valid, else raise `InvalidLabelException`."""
    if not isinstance(label, str):
        raise InvalidLabelException("Invalid label %r: labels must be strings." % (label,))
    stripped = label.strip()
    if not LABEL_PATTERN.match(stripped):
        raise InvalidLabelException(
            "Invalid label %r: labels may contain only lowercase letters, digits and hyphens, and must not start or "
            "end with a hyphen." % (label,)
        )
    return stripped


class TagDict(dict):
    """A dict whose keys are checked against the tag naming rules whenever they are set."""

    def __init__(self, tags=None, **kwargs):
        super().__init__()
        self.update(tags, **kwargs)

    def __setitem__(self, key, value):
        super().__setitem__(validate_tag_name(key), value)

    def update(self, tags=None, **kwargs):
        if tags is not None:
            if isinstance(tags, str):
                tags = json.loads(tags)
            items = tags.items() if hasattr(tags, "items") else tags
            for key, value in items:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]


class LabelSet(set):
    """A set of labels, each validated; a string is split on whitespace, or parsed if it is a JSON array."""

    def __init__(self, labels=None):
        super().__init__()
        self.update(labels)

    def add(self, label):
        super().add(validate_label(label))

    def update(self, *label_groups):
        for labels in label_groups:
            for label in _split_labels(labels):
                self.add(label)

    def any_label_contains(self, text):
        return any(text in label for label in self)

    def serialise(self):
        """Return the labels as a sorted list, as manifests and metadata files store them."""
        return sorted(self)


def _split_labels(labels):
    if labels is None:
        return []
    if isinstance(labels, str):
        stripped = labels.strip()
        if stripped.startswith("["):
            try:
                parsed = json.loads(stripped)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return parsed
        return stripped.split()
    if isinstance(labels, dict) and labels.get("_type") == "set":
        # Octue's JSON encoder writes sets this way in `.octue` files.
        return list(labels.get("items", []))
    return list(labels)


class Taggable:
    """Validated `tags` and `labels` properties, shared by datasets and datafiles."""

    @property
    def tags(self):
        return self._tags

    @tags.setter
    def tags(self, tags):
        self._tags = TagDict(tags)

    @property
    def labels(self):
        return self._labels

    @labels.setter
    def labels(self, labels):
        self._labels = LabelSet(labels)
