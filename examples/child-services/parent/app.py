"""Ask two child services about the same locations and put their answers together.

The children are found by the keys in twine.json's `children` strand; octue.yaml says which service revision each key
means. Only the Python standard library is used.
"""

import logging

logger = logging.getLogger(__name__)

TIMEOUT = 60  # Seconds to wait for each child's answer.


def ask_child(children, key, input_values, timeout=TIMEOUT):
    """Ask the child with this key, wait for its answer, and return its output values.

    The answer must hold one value per location; anything else is an error in the child, reported here rather than
    passed on as a misaligned result.
    """
    answer, question_uuid = children[key].ask(input_values=input_values, timeout=timeout)
    values = answer["output_values"]
    logger.info("The %s child answered question %s.", key, question_uuid)

    expected = len(input_values["locations"])
    if not isinstance(values, list) or len(values) != expected:
        count = len(values) if isinstance(values, list) else type(values).__name__
        raise ValueError(f"The {key} child should answer with {expected} values, one per location, but gave {count}.")
    return values


def wind_speeds_and_elevations(children, input_values, timeout=TIMEOUT):
    """Ask the elevation child, then the wind speed child, and combine their answers."""
    elevations = ask_child(children, "elevation", input_values, timeout)
    wind_speeds = ask_child(children, "wind_speed", input_values, timeout)
    return {"wind_speeds": wind_speeds, "elevations": elevations}


def run(analysis):
    logger.info("Asking the children about %d locations.", len(analysis.input_values["locations"]))
    analysis.output_values = wind_speeds_and_elevations(analysis.children, analysis.input_values)
