"""Turn app-produced values into strict JSON, naming exactly where a value cannot be represented."""

import math


def to_json_compatible(value, where="value"):
    """Return a copy of `value` made only of JSON types.

    Tuples become lists and objects with a `tolist()` method (numpy arrays and scalars) are converted, because apps
    commonly return those. NaN and infinities raise `ValueError` and other types raise `TypeError`, each naming the
    location, because JSON cannot carry them and the parent would otherwise receive invalid JSON.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(
                "%s is %r, which JSON cannot represent; replace NaN and infinite numbers (for example with null) "
                "before returning them." % (where, value)
            )
        return float(value)
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                if isinstance(key, (int, float, bool)) or key is None:
                    key = _json_key(key)
                else:
                    raise TypeError(
                        "%s has a key %r of type %s; JSON object keys must be strings."
                        % (where, key, type(key).__name__)
                    )
            result[key] = to_json_compatible(item, "%s[%r]" % (where, key))
        return result
    if isinstance(value, (list, tuple)):
        return [to_json_compatible(item, "%s[%d]" % (where, index)) for index, item in enumerate(value)]
    if callable(getattr(value, "tolist", None)):
        return to_json_compatible(value.tolist(), where)
    raise TypeError(
        "%s is of type %s, which is not JSON serialisable; convert it to a dict, list, string, number, boolean or "
        "None first." % (where, type(value).__name__)
    )


def _json_key(key):
    # Mirror the conversions `json.dumps` applies to non-string keys.
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)
