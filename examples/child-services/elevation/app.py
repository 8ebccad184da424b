"""Answer with a ground elevation (metres, an integer from 0 to 5000) for each location asked about.

There is no terrain model here: the numbers are made up. They are reproducible, though: each location's value comes
from a random generator seeded with that location, so the same place always gets the same elevation, whatever else
is asked alongside it and however often. Only the Python standard library is used.
"""

import logging
import random

logger = logging.getLogger(__name__)

MINIMUM = 0
MAXIMUM = 5000


def location_seed(location, quantity):
    """A seed string for one location: 0, 0.0 and -0.0 give the same seed, and each quantity gets its own."""
    longitude = float(location["longitude"]) + 0.0
    latitude = float(location["latitude"]) + 0.0
    return f"{quantity}:{longitude!r},{latitude!r}"


def elevation(location):
    return random.Random(location_seed(location, "elevation")).randint(MINIMUM, MAXIMUM)


def elevations(locations):
    return [elevation(location) for location in locations]


def run(analysis):
    locations = analysis.input_values["locations"]
    logger.info("Looking up the elevation of %d locations.", len(locations))
    analysis.output_values = elevations(locations)
    analysis.send_monitor_message({"completed": len(locations), "total": len(locations)})
