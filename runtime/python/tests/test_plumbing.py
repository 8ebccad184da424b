"""The harness's small building blocks: JSON safety, log records, remote exceptions, start messages, the channel."""

import json
import logging
import os
import sys
import threading
import unittest

from twined_harness.channel import Channel, encode_message, file_descriptors_from_environment
from twined_harness.exceptions import ControlChannelClosed, InvalidMonitorMessage, InvalidStartMessage, StrandNotFound
from twined_harness.json_safety import to_json_compatible
from twined_harness.log_forwarding import record_to_dict
from twined_harness.remote_exceptions import build_exception, child_exception, exception_class_for
from twined_harness.start_message import parse_start_message


class FakeArray:
    def __init__(self, values):
        self.values = values

    def tolist(self):
        return self.values


class TestJsonSafety(unittest.TestCase):
    def test_plain_values_pass_through(self):
        value = {"a": [1, 2.5, "x", None, True, {"b": []}], "c": (1, 2)}
        self.assertEqual(to_json_compatible(value), {"a": [1, 2.5, "x", None, True, {"b": []}], "c": [1, 2]})

    def test_array_like_values_are_converted(self):
        self.assertEqual(to_json_compatible({"z": FakeArray([[1.0, 2.0]])}), {"z": [[1.0, 2.0]]})

    def test_non_finite_numbers_name_their_location(self):
        for bad in (float("nan"), float("inf"), float("-inf")):
            with self.subTest(bad=bad), self.assertRaises(ValueError) as context:
                to_json_compatible({"data": {"z": [1.0, bad]}}, "output_values")
            self.assertIn("output_values['data']['z'][1]", str(context.exception))

    def test_unserialisable_types_name_their_location(self):
        with self.assertRaises(TypeError) as context:
            to_json_compatible({"when": object()}, "output_values")
        self.assertIn("output_values['when']", str(context.exception))
        self.assertIn("object", str(context.exception))

    def test_non_string_keys_follow_json_dumps(self):
        self.assertEqual(to_json_compatible({2: "a", None: "b", False: "c", 1.5: "d"}), {"2": "a", "null": "b", "false": "c", "1.5": "d"})

    def test_encoded_messages_are_single_ascii_lines(self):
        line = encode_message({"text": "line one\nline two \u2028 caf\u00e9 \udcff"})
        self.assertTrue(line.endswith(b"\n"))
        self.assertEqual(line.count(b"\n"), 1)
        line.decode("ascii")
        with self.assertRaises(ValueError):
            encode_message({"x": float("nan")})


class TestLogRecords(unittest.TestCase):
    def make_record(self, msg, args=(), exc_info=None, **extra):
        record = logging.LogRecord("my.logger", logging.ERROR, "/app/app.py", 12, msg, args, exc_info, func="run")
        record.__dict__.update(extra)
        return record

    def test_message_is_interpolated_and_ansi_stripped(self):
        record = record_to_dict(self.make_record("\x1b[1;31m%s\x1b[0m has %d items", ("list", 3)))
        self.assertEqual(record["msg"], "list has 3 items")
        self.assertIsNone(record["args"])
        self.assertEqual(record["levelname"], "ERROR")
        self.assertEqual(record["lineno"], 12)
        self.assertEqual(record["funcName"], "run")
        json.dumps(record, allow_nan=False)

    def test_traceback_goes_to_exc_text(self):
        try:
            raise KeyError("missing")
        except KeyError:
            record = record_to_dict(self.make_record("failed", exc_info=sys.exc_info()))
        self.assertIsNone(record["exc_info"])
        self.assertIn("KeyError: 'missing'", record["exc_text"])

    def test_only_serialisable_extra_fields_are_kept(self):
        record = record_to_dict(self.make_record("x", station="A", values=[1, 2], handle=object(), message="fmt"))
        self.assertEqual(record["station"], "A")
        self.assertEqual(record["values"], [1, 2])
        self.assertNotIn("handle", record)
        self.assertNotIn("message", record)


class TestRemoteExceptions(unittest.TestCase):
    def test_builtin_and_harness_classes_are_reused(self):
        self.assertIs(exception_class_for("ValueError"), ValueError)
        self.assertIs(exception_class_for("InvalidMonitorMessage"), InvalidMonitorMessage)
        self.assertIs(exception_class_for("StrandNotFound"), StrandNotFound)
        self.assertEqual(str(build_exception("StrandNotFound", "no strand")), "no strand")

    def test_unknown_names_get_a_stable_synthesised_class(self):
        cls = exception_class_for("SensorOffline")
        self.assertEqual(cls.__name__, "SensorOffline")
        self.assertTrue(issubclass(cls, Exception))
        self.assertIs(exception_class_for("SensorOffline"), cls)

    def test_non_exception_builtins_are_not_used(self):
        self.assertTrue(issubclass(exception_class_for("print"), Exception))

    def test_builtins_needing_more_arguments_fall_back(self):
        error = build_exception("UnicodeDecodeError", "bad bytes")
        self.assertEqual(type(error).__name__, "UnicodeDecodeError")
        self.assertEqual(str(error), "bad bytes")

    def test_child_exception_message_format(self):
        error = child_exception(
            {"type": "TypeError", "message": "bad", "traceback": ["  line 1\n", "  line 2\n"]}, "ns/child:1.0.0"
        )
        self.assertIsInstance(error, TypeError)
        self.assertEqual(
            str(error),
            "bad\n\nThe following traceback was captured from the remote service 'ns/child:1.0.0':\n\n  line 1\n  line 2\n",
        )


class TestStartMessage(unittest.TestCase):
    minimal = {
        "type": "start",
        "question_uuid": "q",
        "app_source_path": "/app",
        "working_directory": "/work",
        "output_directory": "/out",
        "twine": {},
    }

    def test_optional_keys_default_to_none_and_info(self):
        parsed = parse_start_message(json.dumps(self.minimal).encode())
        self.assertIsNone(parsed["input_values"])
        self.assertIsNone(parsed["children"])
        self.assertEqual(parsed["log_level"], "INFO")

    def test_falsy_values_are_kept(self):
        parsed = parse_start_message(json.dumps(dict(self.minimal, input_values=0, configuration_values=[])))
        self.assertEqual(parsed["input_values"], 0)
        self.assertEqual(parsed["configuration_values"], [])

    def test_errors(self):
        cases = {
            b"{": "not valid JSON",
            b"[]": "JSON object",
            json.dumps(dict(self.minimal, type="begin")).encode(): '"type": "start"',
            json.dumps({"type": "start"}).encode(): "missing",
            json.dumps(dict(self.minimal, twine="twine.json")).encode(): "twine",
            json.dumps(dict(self.minimal, children={"a": 1})).encode(): "children",
            json.dumps(dict(self.minimal, log_level="LOUD")).encode(): "log_level",
            json.dumps(dict(self.minimal, question_uuid="")).encode(): "question_uuid",
        }
        for line, expected in cases.items():
            with self.subTest(line=line), self.assertRaises(InvalidStartMessage) as context:
                parse_start_message(line)
            self.assertIn(expected, str(context.exception))


class TestChannel(unittest.TestCase):
    def setUp(self):
        self.events_read, events_write = os.pipe()
        control_read, self.control_write = os.pipe()
        self.channel = Channel(events_write, control_read)
        self.addCleanup(os.close, self.events_read)
        self.addCleanup(os.close, events_write)
        self.addCleanup(os.close, control_read)
        self.closed = threading.Event()
        self.addCleanup(self.close_control_write)

    def close_control_write(self):
        if self.control_write is not None:
            os.close(self.control_write)
            self.control_write = None

    def test_file_descriptors_from_environment(self):
        self.assertEqual(file_descriptors_from_environment({}), (3, 4))
        self.assertEqual(
            file_descriptors_from_environment({"TWINED_HARNESS_EVENTS_FD": "7", "TWINED_HARNESS_CONTROL_FD": "8"}),
            (7, 8),
        )

    def test_requests_are_matched_by_id_and_closing_wakes_waiters(self):
        os.write(self.control_write, b'{"type":"start"}\n')
        self.assertEqual(json.loads(self.channel.read_first_line()), {"type": "start"})
        self.channel.start_reading_responses(on_close=self.closed.set)

        results = {}

        def ask(name):
            try:
                results[name] = self.channel.request({"type": "monitor_message", "data": name})
            except ControlChannelClosed as error:
                results[name] = error

        threads = [threading.Thread(target=ask, args=(name,)) for name in ("first", "second", "third")]
        for thread in threads:
            thread.start()

        requests = {}
        reader = os.fdopen(os.dup(self.events_read), "rb")
        while len(requests) < 3:
            message = json.loads(reader.readline())
            requests[message["data"]] = message["id"]
        reader.close()

        os.write(self.control_write, b"not json\n")
        os.write(self.control_write, json.dumps({"id": requests["second"], "answer": 2}).encode() + b"\n")
        os.write(self.control_write, json.dumps({"id": requests["first"], "answer": 1}).encode() + b"\n")
        threads[0].join(5)
        threads[1].join(5)
        self.assertEqual(results["first"]["answer"], 1)
        self.assertEqual(results["second"]["answer"], 2)

        self.close_control_write()
        threads[2].join(5)
        self.assertTrue(self.closed.wait(5))
        self.assertIsInstance(results["third"], ControlChannelClosed)

    def test_request_timeout_returns_none(self):
        self.channel.start_reading_responses(on_close=self.closed.set)
        self.assertIsNone(self.channel.request({"type": "ask_child"}, timeout=0.05))
        self.close_control_write()


if __name__ == "__main__":
    unittest.main()
