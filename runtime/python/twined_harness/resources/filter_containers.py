"""Octue-style filtering and ordering of datafiles: `filter(tags__sequence__gt=0)`, `order_by("tags__sequence")`."""

from ..exceptions import BrokenSequenceException, InvalidInputException, UnexpectedNumberOfResultsException

_MISSING = object()


def _contains(value, expected):
    return expected in value


def _icontains(value, expected):
    if isinstance(value, str):
        return expected.lower() in value.lower()
    return any(isinstance(item, str) and expected.lower() in item.lower() for item in value)


FILTER_ACTIONS = {
    "equals": lambda value, expected: value == expected,
    "not_equals": lambda value, expected: value != expected,
    "iequals": lambda value, expected: value.lower() == expected.lower(),
    "not_iequals": lambda value, expected: value.lower() != expected.lower(),
    "is": lambda value, expected: value is expected,
    "is_not": lambda value, expected: value is not expected,
    "lt": lambda value, expected: value < expected,
    "lte": lambda value, expected: value <= expected,
    "gt": lambda value, expected: value > expected,
    "gte": lambda value, expected: value >= expected,
    "in_range": lambda value, expected: expected[0] <= value <= expected[1],
    "not_in_range": lambda value, expected: not expected[0] <= value <= expected[1],
    "contains": _contains,
    "not_contains": lambda value, expected: not _contains(value, expected),
    "icontains": _icontains,
    "not_icontains": lambda value, expected: not _icontains(value, expected),
    "startswith": lambda value, expected: value.startswith(expected),
    "not_startswith": lambda value, expected: not value.startswith(expected),
    "endswith": lambda value, expected: value.endswith(expected),
    "not_endswith": lambda value, expected: not value.endswith(expected),
    "any_label_contains": lambda value, expected: any(expected in label for label in value),
    "exists": lambda value, expected: expected,
}


def get_nested_attribute(item, attribute_path):
    """Follow `a__b__c` through attributes and dict keys; return `_MISSING` if any step is absent."""
    current = item
    for part in attribute_path.split("__"):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        else:
            current = getattr(current, part, _MISSING)
        if current is _MISSING:
            return _MISSING
    return current


def _parse_filter(key):
    attribute_path, separator, action = key.rpartition("__")
    if separator and attribute_path and action in FILTER_ACTIONS:
        return attribute_path, action
    raise ValueError(
        "Invalid filter %r: use '<attribute path>__<action>', e.g. 'labels__contains' or 'tags__sequence__gt', "
        "where the action is one of %s." % (key, ", ".join(sorted(FILTER_ACTIONS)))
    )


def _matches(item, attribute_path, action, expected, ignore_items_without_attribute):
    value = get_nested_attribute(item, attribute_path)
    if action == "exists":
        return (value is not _MISSING) == bool(expected)
    if value is _MISSING:
        if ignore_items_without_attribute:
            return False
        raise AttributeError("%r has no attribute or key %r to filter on." % (item, attribute_path))
    try:
        return FILTER_ACTIONS[action](value, expected)
    except TypeError:
        # Comparing e.g. a string tag with a number: the item simply does not match.
        return False


class _FilterableMixin:
    def filter(self, ignore_items_without_attribute=True, **kwargs):
        """Return the items matching every `<attribute path>__<action>=value` condition, in order."""
        if not kwargs:
            raise ValueError("filter() needs at least one condition, e.g. labels__contains='timeseries'.")
        conditions = [_parse_filter(key) + (value,) for key, value in kwargs.items()]
        return type(self)(
            item
            for item in self
            if all(
                _matches(item, path, action, expected, ignore_items_without_attribute)
                for path, action, expected in conditions
            )
        )

    def one(self, **kwargs):
        """Return the single item (optionally after filtering); raise if there are none or several."""
        results = self.filter(**kwargs) if kwargs else self
        if len(results) != 1:
            conditions = ", ".join("%s=%r" % item for item in kwargs.items()) or "no filter"
            raise UnexpectedNumberOfResultsException(
                "Expected exactly one result (%s) but found %d." % (conditions, len(results))
            )
        return next(iter(results))

    def order_by(self, attribute_path, check_start_value=None, check_constant_increment=None, reverse=False):
        """Return a `FilterList` sorted by `attribute_path`, optionally checking the values form a sequence."""
        values = []
        for item in self:
            value = get_nested_attribute(item, attribute_path)
            if value is _MISSING:
                raise InvalidInputException(
                    "Cannot order by %r: %r has no such attribute or tag." % (attribute_path, item)
                )
            values.append((value, item))
        try:
            values.sort(key=lambda pair: pair[0], reverse=reverse)
        except TypeError as error:
            raise InvalidInputException("Cannot order by %r: %s" % (attribute_path, error)) from None

        ordered_values = [value for value, _ in values]
        if check_start_value is not None and ordered_values and ordered_values[0] != check_start_value:
            raise BrokenSequenceException(
                "The sequence ordered by %r starts at %r, not at the required %r (values: %r)."
                % (attribute_path, ordered_values[0], check_start_value, ordered_values)
            )
        if check_constant_increment is not None:
            for previous, current in zip(ordered_values, ordered_values[1:]):
                if current - previous != check_constant_increment:
                    raise BrokenSequenceException(
                        "The sequence ordered by %r does not go up by %r at every step: %r is followed by %r "
                        "(values: %r)." % (attribute_path, check_constant_increment, previous, current, ordered_values)
                    )
        return FilterList(item for _, item in values)


class FilterSet(_FilterableMixin):
    """An ordered collection without duplicates (by identity), as `Dataset.files`."""

    def __init__(self, items=()):
        self._items = []
        self._ids = set()
        for item in items:
            self.add(item)

    def add(self, item):
        if id(item) not in self._ids:
            self._ids.add(id(item))
            self._items.append(item)

    def remove(self, item):
        self._ids.remove(id(item))
        self._items.remove(item)

    def replace(self, item, replacement):
        """Put `replacement` where `item` is, keeping the order (or add it at the end if `item` is absent)."""
        if id(item) not in self._ids:
            self.add(replacement)
            return
        if id(replacement) in self._ids and replacement is not item:
            self.remove(item)
            return
        self._ids.remove(id(item))
        self._ids.add(id(replacement))
        position = next(index for index, existing in enumerate(self._items) if existing is item)
        self._items[position] = replacement

    def discard(self, item):
        if id(item) in self._ids:
            self.remove(item)

    def __iter__(self):
        return iter(list(self._items))

    def __len__(self):
        return len(self._items)

    def __contains__(self, item):
        return id(item) in self._ids

    def __bool__(self):
        return bool(self._items)

    def __repr__(self):
        return "<FilterSet(%r)>" % (self._items,)


class FilterList(_FilterableMixin, list):
    """A list with the same `filter`, `one` and `order_by` methods, returned by `order_by`."""
