import json
import os
import unittest

from app import TIMEOUT, ask_child, run, wind_speeds_and_elevations

SERVICE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILD_DIRECTORY = os.path.dirname(SERVICE_DIRECTORY)
INPUT_VALUES = {"locations": [{"longitude": 0, "latitude": 0}, {"longitude": 1, "latitude": 1}]}


def load_json(*parts):
    with open(os.path.join(*parts)) as file:
        return json.load(file)


class FakeChild:
    """Stands in for analysis.children[key]: records each question and answers with fixed output values."""

    def __init__(self, key, output_values, calls):
        self.key = key
        self.output_values = output_values
        self.calls = calls

    def ask(self, input_values=None, input_manifest=None, timeout=None, **kwargs):
        self.calls.append({"key": self.key, "input_values": input_values, "timeout": timeout})
        answer = {"output_values": self.output_values, "output_manifest": None}
        return answer, f"question-{len(self.calls)}"


def fake_children(elevations, wind_speeds):
    calls = []
    children = {
        "wind_speed": FakeChild("wind_speed", wind_speeds, calls),
        "elevation": FakeChild("elevation", elevations, calls),
    }
    return children, calls


class TestParent(unittest.TestCase):
    def test_combines_the_answers(self):
        children, _ = fake_children([300, 310], [10, 12])
        self.assertEqual(
            wind_speeds_and_elevations(children, INPUT_VALUES),
            {"wind_speeds": [10, 12], "elevations": [300, 310]},
        )

    def test_asks_elevation_first_with_the_same_input_and_a_60_second_timeout(self):
        children, calls = fake_children([300, 310], [10, 12])
        wind_speeds_and_elevations(children, INPUT_VALUES)
        self.assertEqual([call["key"] for call in calls], ["elevation", "wind_speed"])
        self.assertTrue(all(call["input_values"] == INPUT_VALUES for call in calls))
        self.assertEqual(TIMEOUT, 60)
        self.assertEqual({call["timeout"] for call in calls}, {60})

    def test_rejects_an_answer_of_the_wrong_length(self):
        children, _ = fake_children([300], [10, 12])
        with self.assertRaisesRegex(ValueError, "The elevation child should answer with 2 values, one per location, but gave 1"):
            wind_speeds_and_elevations(children, INPUT_VALUES)

    def test_rejects_an_answer_that_is_not_a_list(self):
        children, _ = fake_children([300, 310], None)
        with self.assertRaisesRegex(ValueError, "but gave NoneType"):
            ask_child(children, "wind_speed", INPUT_VALUES)

    def test_run(self):
        class FakeAnalysis:
            input_values = INPUT_VALUES
            output_values = {}

        analysis = FakeAnalysis()
        analysis.children, _ = fake_children([300, 310], [10, 12])
        with self.assertLogs("app", level="INFO"):
            run(analysis)
        self.assertEqual(analysis.output_values, {"wind_speeds": [10, 12], "elevations": [300, 310]})


class TestExampleFiles(unittest.TestCase):
    def test_input_values(self):
        self.assertEqual(load_json(SERVICE_DIRECTORY, "data", "input", "values.json"), INPUT_VALUES)

    def test_emulators_cover_every_child_in_the_twine(self):
        twine = load_json(SERVICE_DIRECTORY, "twine.json")
        emulators = load_json(SERVICE_DIRECTORY, "data", "children-emulators.json")
        self.assertEqual(set(emulators), {child["key"] for child in twine["children"]})

    def test_emulated_answers_fit_the_children_twines(self):
        emulators = load_json(SERVICE_DIRECTORY, "data", "children-emulators.json")
        for key, folder in (("elevation", "elevation"), ("wind_speed", "wind-speed")):
            with self.subTest(key=key):
                child_twine = load_json(CHILD_DIRECTORY, folder, "twine.json")
                events = emulators[key]
                self.assertEqual(events[-1]["kind"], "result", "the last event must be the result")
                self.assertEqual([event["kind"] for event in events].count("result"), 1)

                items = child_twine["output_values_schema"]["items"]
                values = events[-1]["output_values"]
                self.assertEqual(len(values), len(INPUT_VALUES["locations"]))
                self.assertTrue(all(isinstance(v, int) and items["minimum"] <= v <= items["maximum"] for v in values))

                required = set(child_twine["monitor_message_schema"]["required"])
                for event in events:
                    if event["kind"] == "monitor_message":
                        self.assertTrue(required <= set(event["data"]))
                    if event["kind"] == "log_record":
                        self.assertTrue({"msg", "levelname", "name"} <= set(event["log_record"]))

    def test_configured_children_match_the_twine(self):
        # A light check of octue.yaml without a YAML parser: each twine key appears with a pinned revision.
        with open(os.path.join(SERVICE_DIRECTORY, "octue.yaml")) as file:
            configuration = file.read()
        self.assertIn("key: elevation", configuration)
        self.assertIn("id: examples/elevation:0.1.0", configuration)
        self.assertIn("key: wind_speed", configuration)
        self.assertIn("id: examples/wind-speed:0.1.0", configuration)


if __name__ == "__main__":
    unittest.main()
