"""Answer with a wind speed (km/h, an integer from 0 to 200) for each location asked about.

There is no weather model here: the numbers are made up. They are reproducible, though: each location's value comes
from a random generator seeded with that location, so the same place always gets the same wind speed, whatever else
is asked alongside it and however often. Only the Python standard library is used.
"""

import logging
import random

logger = logging.getLogger(__name__)

MINIMUM = 0
MAXIMUM = 200


def location_seed(location, quantity):
    """A seed string for one location: 0, 0.0 and -0.0 give the same seed, and each quantity gets its own."""
    longitude = float(location["longitude"]) + 0.0
    latitude = float(location["latitude"]) + 0.0
    return f"{quantity}:{longitude!r},{latitude!r}"


def wind_speed(location):
    return random.Random(location_seed(location, "wind_speed")).randint(MINIMUM, MAXIMUM)


def wind_speeds(locations):
    return [wind_speed(location) for location in locations]


def run(analysis):
    locations = analysis.input_values["locations"]
    logger.info("Looking up the wind speed at %d locations.", len(locations))
    analysis.output_values = wind_speeds(locations)
    analysis.send_monitor_message({"completed": len(locations), "total": len(locations)})
