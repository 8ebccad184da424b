import json
import os
import random
import subprocess
import sys
import unittest

from app import location_seed, run, wind_speed, wind_speeds

SERVICE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def random_locations(count, seed):
    generator = random.Random(seed)
    return [{"longitude": generator.uniform(-180, 180), "latitude": generator.uniform(-90, 90)} for _ in range(count)]


class TestWindSpeeds(unittest.TestCase):
    def test_one_integer_in_range_per_location(self):
        locations = random_locations(500, seed=1)
        values = wind_speeds(locations)
        self.assertEqual(len(values), 500)
        self.assertTrue(all(isinstance(value, int) and 0 <= value <= 200 for value in values))
        self.assertGreater(len(set(values)), 50, "values should vary from place to place")

    def test_same_location_same_answer(self):
        locations = random_locations(20, seed=2)
        self.assertEqual(wind_speeds(locations), wind_speeds(locations))
        self.assertEqual(wind_speeds(locations)[5], wind_speed(locations[5]))

    def test_answer_does_not_depend_on_the_other_locations(self):
        locations = random_locations(10, seed=3)
        self.assertEqual(wind_speeds(list(reversed(locations))), list(reversed(wind_speeds(locations))))
        self.assertEqual(wind_speeds(locations[3:4]), [wind_speeds(locations)[3]])

    def test_integer_and_float_coordinates_agree(self):
        self.assertEqual(
            wind_speed({"longitude": 0, "latitude": 1}),
            wind_speed({"longitude": -0.0, "latitude": 1.0}),
        )

    def test_seed_names_the_quantity(self):
        self.assertEqual(location_seed({"longitude": 1, "latitude": -2.5}, "x"), "x:1.0,-2.5")

    def test_reproducible_across_processes(self):
        # String seeds are hashed with SHA-512, not Python's salted hash(), so a new interpreter agrees.
        code = "import json, app; print(json.dumps(app.wind_speeds([{'longitude': 0, 'latitude': 0}, {'longitude': 1, 'latitude': 1}])))"
        output = subprocess.run(
            [sys.executable, "-c", code],
            cwd=SERVICE_DIRECTORY,
            env={**os.environ, "PYTHONHASHSEED": "random"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertEqual(json.loads(output), wind_speeds([{"longitude": 0, "latitude": 0}, {"longitude": 1, "latitude": 1}]))


class FakeAnalysis:
    def __init__(self, input_values):
        self.input_values = input_values
        self.output_values = None
        self.monitor_messages = []

    def send_monitor_message(self, data):
        self.monitor_messages.append(data)


class TestRun(unittest.TestCase):
    def test_run_with_the_example_input(self):
        with open(os.path.join(SERVICE_DIRECTORY, "data", "input", "values.json")) as file:
            input_values = json.load(file)
        analysis = FakeAnalysis(input_values)
        with self.assertLogs("app", level="INFO"):
            run(analysis)
        self.assertEqual(analysis.output_values, wind_speeds(input_values["locations"]))
        self.assertEqual(analysis.monitor_messages, [{"completed": 2, "total": 2}])


if __name__ == "__main__":
    unittest.main()
