"""End-to-end: the harness as a subprocess, with the test acting as the TypeScript runner."""

import json
import os
import signal
import time
import unittest

from tests.harness_process import HarnessProcess


class HarnessTestCase(unittest.TestCase):
    def setUp(self):
        self.harness = HarnessProcess()
        self.addCleanup(self.harness.close)

    def run_app(self, app_source, on_request=None, **start_overrides):
        self.harness.send(self.harness.start_message(app_source, **start_overrides))
        messages = self.harness.read_until_final(on_request=on_request)
        exit_code, stdout, stderr = self.harness.finish()
        self.assertEqual(exit_code, 0, stderr)
        return messages, stdout, stderr


class TestResultsAndLogs(HarnessTestCase):
    def test_log_records_arrive_in_order_and_prints_stay_on_stdout(self):
        messages, stdout, _ = self.run_app(
            """
            import logging, sys
            logger = logging.getLogger("my_app")

            def run(analysis):
                for index in range(20):
                    print("printed line", index, "{\\"type\\": \\"result\\"}")
                    logger.info("record %d of %s", index, "twenty")
                sys.stderr.write("stray stderr\\n")
                logger.debug("too detailed to forward")
                logger.warning("\\x1b[31mred\\x1b[0m warning", extra={"station": "A1", "unserialisable": object()})
                analysis.output_values = {"done": True}
            """,
            twine={"output_values_schema": {}},
        )
        records = [message["log_record"] for message in messages if message["type"] == "log_record"]
        app_records = [record for record in records if record["name"] == "my_app"]
        self.assertEqual([record["msg"] for record in app_records[:20]], ["record %d of twenty" % i for i in range(20)])
        self.assertNotIn("too detailed to forward", [record["msg"] for record in records])

        warning = app_records[20]
        self.assertEqual(warning["msg"], "red warning")
        self.assertEqual(warning["levelname"], "WARNING")
        self.assertEqual(warning["levelno"], 30)
        self.assertEqual(warning["station"], "A1")
        self.assertNotIn("unserialisable", warning)
        for key in (
            "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
            "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
            "processName", "process",
        ):
            self.assertIn(key, warning)
        self.assertIsNone(warning["args"])
        self.assertEqual(warning["funcName"], "run")

        self.assertEqual(messages[-1], {"type": "result", "output_values": {"done": True}, "output_manifest": None})
        self.assertIn("printed line 19", stdout)
        # Every line on the channel parsed as JSON, so prints never leaked into it.
        self.assertTrue(all(json.loads(line) for line in self.harness.raw_lines))

    def test_default_file_descriptors_3_and_4(self):
        self.harness.close()
        self.harness = HarnessProcess(default_fds=True)
        self.addCleanup(self.harness.close)
        messages, _, _ = self.run_app("def run(analysis):\n    analysis.output_values = 'fds 3 and 4'\n")
        self.assertEqual(messages[-1]["output_values"], "fds 3 and 4")

    def test_falsy_inputs_reach_the_app_unchanged(self):
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                analysis.output_values = {
                    "configuration_values": repr(analysis.configuration_values),
                    "input_values": repr(analysis.input_values),
                    "children": repr(analysis.children),
                    "input_manifest": repr(analysis.input_manifest),
                }
            """,
            configuration_values=0,
            input_values=False,
            children=None,
            twine={"output_values_schema": {}},
        )
        self.assertEqual(
            messages[-1]["output_values"],
            {"configuration_values": "0", "input_values": "False", "children": "None", "input_manifest": "None"},
        )

    def test_empty_containers_and_strings_reach_the_app_unchanged(self):
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                analysis.output_values = [analysis.configuration_values, analysis.input_values]
            """,
            configuration_values={},
            input_values="",
        )
        self.assertEqual(messages[-1]["output_values"], [{}, ""])

    def test_output_values_are_prepared_from_the_twine(self):
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                pass
            """,
            twine={"output_values_schema": {"type": "object"}},
        )
        self.assertEqual(messages[-1]["output_values"], {})

    def test_output_manifest_of_a_written_dataset(self):
        messages, _, _ = self.run_app(
            """
            import os, tempfile
            from octue.resources import Datafile, Dataset

            def run(analysis):
                with tempfile.TemporaryDirectory() as directory:
                    datafile = Datafile(path=os.path.join(directory, "nested", "cleaned.csv"), labels=["timeseries"])
                    with datafile.open("w") as file:
                        file.write("a,b\\n1,2\\n")
                    analysis.output_manifest.datasets["cleaned"] = Dataset(path=directory, name="cleaned_data")
                    analysis.output_manifest.get_dataset("cleaned").labels = ["met", "mast", "cleaned"]
                    analysis.finalise(upload_output_datasets_to="gs://ignored/path")
            """,
            twine={"output_manifest": {"datasets": {"cleaned": {"purpose": "cleaned data"}}}},
        )
        result = messages[-1]
        self.assertEqual(result["type"], "result", result)
        self.assertIsNone(result["output_values"])
        manifest = result["output_manifest"]
        self.assertEqual(set(manifest), {"id", "name", "datasets"})
        dataset = manifest["datasets"]["cleaned"]
        output_directory = os.path.join(self.harness.workspace, "outputs", "cleaned")
        self.assertEqual(dataset["name"], "cleaned_data")
        self.assertEqual(dataset["labels"], ["cleaned", "mast", "met"])
        self.assertEqual(dataset["path"], output_directory)
        self.assertEqual(dataset["files"], [os.path.join(output_directory, "nested", "cleaned.csv")])
        with open(dataset["files"][0]) as file:
            self.assertEqual(file.read(), "a,b\n1,2\n")
        with open(os.path.join(output_directory, "nested", ".octue")) as file:
            self.assertEqual(json.load(file)["datafiles"]["cleaned.csv"]["labels"], ["timeseries"])

    def test_input_manifest_paths_are_relative_to_the_working_directory(self):
        os.makedirs(os.path.join(self.harness.workspace, "data", "raw", "day1"))
        with open(os.path.join(self.harness.workspace, "data", "raw", "day1", "a.csv"), "w") as file:
            file.write("1")
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                dataset = analysis.input_manifest.get_dataset("raw")
                analysis.output_values = [file.name for file in dataset.files]
            """,
            input_manifest={"id": "8ead7669-8162-4f64-8cd5-4abe92509e17", "datasets": {"raw": "data/raw"}},
        )
        self.assertEqual(messages[-1]["output_values"], ["a.csv"])


class TestExceptions(HarnessTestCase):
    def test_an_app_error_becomes_an_exception_message_with_the_app_traceback(self):
        messages, _, _ = self.run_app(
            """
            def helper():
                raise ValueError("the input was wrong")

            def run(analysis):
                helper()
            """
        )
        final = messages[-1]
        self.assertEqual(final["type"], "exception")
        self.assertEqual(final["exception_type"], "ValueError")
        self.assertEqual(final["exception_message"], "the input was wrong")
        traceback = final["exception_traceback"]
        self.assertIsInstance(traceback, list)
        self.assertIn("in run", traceback[0])
        self.assertIn("app.py", traceback[0])
        self.assertIn("in helper", traceback[-1])
        self.assertFalse(any("twined_harness" in line for line in traceback))

    def test_nan_in_output_values_is_reported_not_sent(self):
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                analysis.output_values = {"values": [1.0, float("nan")]}
            """
        )
        final = messages[-1]
        self.assertEqual(final["exception_type"], "ValueError")
        self.assertIn("output_values['values'][1]", final["exception_message"])
        self.assertIn("nan", final["exception_message"])

    def test_missing_app_is_reported_with_its_path(self):
        start = self.harness.start_message("def run(analysis):\n    pass\n")
        os.remove(os.path.join(start["app_source_path"], "app.py"))
        self.harness.send(start)
        final = self.harness.read_until_final()[-1]
        self.assertEqual(final["exception_type"], "ModuleNotFoundError")
        self.assertIn(start["app_source_path"], final["exception_message"])
        self.assertEqual(self.harness.finish()[0], 0)

    def test_invalid_start_message_exits_with_code_3(self):
        self.harness.send_raw(b"this is not json\n")
        final = self.harness.read_message()
        self.assertEqual(final["type"], "exception")
        self.assertEqual(final["exception_type"], "InvalidStartMessage")
        self.assertIn("not valid JSON", final["exception_message"])
        self.assertEqual(self.harness.finish()[0], 3)

    def test_start_message_missing_keys_exits_with_code_3(self):
        self.harness.send({"type": "start", "question_uuid": "q"})
        final = self.harness.read_message()
        self.assertIn("app_source_path", final["exception_message"])
        self.assertIn("twine", final["exception_message"])
        self.assertEqual(self.harness.finish()[0], 3)


class TestMonitorMessages(HarnessTestCase):
    def test_round_trip_and_error_response(self):
        def answer(request):
            self.assertEqual(request["type"], "monitor_message")
            if request["data"].get("valid"):
                return {"type": "monitor_message_response", "error": None}
            return {
                "type": "monitor_message_response",
                "error": {"type": "InvalidMonitorMessage", "message": "'status' is a required property"},
            }

        messages, _, _ = self.run_app(
            """
            def run(analysis):
                analysis.send_monitor_message({"valid": True, "status": "started"})
                try:
                    analysis.send_monitor_message('{"valid": false}')
                except Exception as error:
                    analysis.output_values = [type(error).__name__, str(error)]
            """,
            on_request=answer,
        )
        requests = [message for message in messages if message["type"] == "monitor_message"]
        self.assertEqual([request["data"] for request in requests], [{"valid": True, "status": "started"}, {"valid": False}])
        self.assertEqual(len({request["id"] for request in requests}), 2)
        self.assertEqual(messages[-1]["output_values"], ["InvalidMonitorMessage", "'status' is a required property"])

    def test_strand_not_found_error(self):
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                analysis.send_monitor_message({"a": 1})
            """,
            on_request=lambda request: {
                "type": "monitor_message_response",
                "error": {"type": "StrandNotFound", "message": "The twine has no monitor_message strand."},
            },
        )
        self.assertEqual(messages[-1]["exception_type"], "StrandNotFound")
        self.assertEqual(messages[-1]["exception_message"], "The twine has no monitor_message strand.")

    def test_periodic_monitor_messages_stop_when_the_app_ends(self):
        messages, _, _ = self.run_app(
            """
            import time

            def run(analysis):
                counter = iter(range(1000))
                analysis.set_up_periodic_monitor_message(lambda: {"count": next(counter)}, period=0.05)
                time.sleep(0.5)
            """,
            on_request=lambda request: {"type": "monitor_message_response", "error": None},
        )
        counts = [message["data"]["count"] for message in messages if message["type"] == "monitor_message"]
        self.assertGreaterEqual(len(counts), 2)
        self.assertEqual(counts, list(range(len(counts))))
        self.assertEqual(messages[-1]["type"], "result")


class TestChildren(HarnessTestCase):
    children = [
        {"key": "elevation", "id": "template-child-services/elevation-service:1.0.0", "backend": {"name": "GCPPubSubBackend", "project_id": "p"}},
        {"key": "wind_speed", "id": "template-child-services/wind-speed-service:1.0.0", "backend": {"name": "GCPPubSubBackend", "project_id": "p"}},
    ]

    def test_ask_round_trip(self):
        def answer(request):
            self.assertEqual(request["type"], "ask_child")
            self.assertEqual(request["timeout"], 60)
            self.assertEqual(request["input_values"], {"locations": [{"longitude": 0, "latitude": 0}]})
            self.assertIsNone(request["question_uuid"])
            values = {"elevation": [300], "wind_speed": [10]}[request["key"]]
            return {
                "type": "child_response",
                "question_uuid": "c-" + request["key"],
                "answer": {"output_values": values, "output_manifest": None},
                "error": None,
            }

        messages, _, _ = self.run_app(
            """
            def run(analysis):
                elevation, elevation_uuid = analysis.children["elevation"].ask(input_values=analysis.input_values, timeout=60)
                wind, wind_uuid = analysis.children["wind_speed"].ask(input_values=analysis.input_values, timeout=60)
                analysis.output_values = {
                    "elevations": elevation["output_values"],
                    "wind_speeds": wind["output_values"],
                    "uuids": [elevation_uuid, wind_uuid],
                    "manifest": elevation["output_manifest"],
                }
            """,
            on_request=answer,
            children=self.children,
            input_values={"locations": [{"longitude": 0, "latitude": 0}]},
        )
        asks = [message["key"] for message in messages if message["type"] == "ask_child"]
        self.assertEqual(asks, ["elevation", "wind_speed"])
        self.assertEqual(
            messages[-1]["output_values"],
            {"elevations": [300], "wind_speeds": [10], "uuids": ["c-elevation", "c-wind_speed"], "manifest": None},
        )

    def test_child_error_is_raised_with_the_remote_traceback(self):
        def answer(request):
            return {
                "type": "child_response",
                "question_uuid": "c1",
                "answer": None,
                "error": {
                    "type": request["input_values"]["type"],
                    "message": "it broke",
                    "traceback": ['  File "app.py", line 3, in run\n', "    raise Boom\n"],
                },
            }

        messages, _, _ = self.run_app(
            """
            def run(analysis):
                results = []
                for error_type in ("ZeroDivisionError", "ElevationUnavailable"):
                    try:
                        analysis.children["elevation"].ask(input_values={"type": error_type})
                    except Exception as error:
                        results.append([type(error).__name__, isinstance(error, ZeroDivisionError), str(error)])
                analysis.output_values = results
            """,
            on_request=answer,
            children=self.children,
        )
        expected_message = (
            "it broke\n\nThe following traceback was captured from the remote service "
            "'template-child-services/elevation-service:1.0.0':\n\n"
            '  File "app.py", line 3, in run\n    raise Boom\n'
        )
        self.assertEqual(
            messages[-1]["output_values"],
            [["ZeroDivisionError", True, expected_message], ["ElevationUnavailable", False, expected_message]],
        )

    def test_unhandled_child_error_keeps_its_type_name(self):
        messages, _, _ = self.run_app(
            """
            def run(analysis):
                analysis.children["elevation"].ask(input_values=1)
            """,
            on_request=lambda request: {
                "type": "child_response",
                "question_uuid": "c1",
                "answer": None,
                "error": {"type": "ElevationUnavailable", "message": "no data", "traceback": []},
            },
            children=self.children,
        )
        self.assertEqual(messages[-1]["exception_type"], "ElevationUnavailable")
        self.assertTrue(messages[-1]["exception_message"].startswith("no data\n\n"))


class TestTermination(HarnessTestCase):
    def test_sigterm_exits_promptly(self):
        self.harness.send(
            self.harness.start_message(
                """
                import logging, time

                def run(analysis):
                    analysis.set_up_periodic_monitor_message(lambda: {}, period=30)
                    logging.getLogger("app").info("sleeping")
                    time.sleep(60)
                """
            )
        )
        self.assertEqual(self.harness.read_message()["log_record"]["msg"], "sleeping")
        started = time.monotonic()
        self.harness.process.send_signal(signal.SIGTERM)
        exit_code, _, _ = self.harness.finish(timeout=10)
        self.assertEqual(exit_code, 143)
        self.assertLess(time.monotonic() - started, 5)

    def test_closing_the_control_pipe_exits_promptly(self):
        self.harness.send(
            self.harness.start_message(
                """
                import logging, time

                def run(analysis):
                    logging.getLogger("app").info("sleeping")
                    time.sleep(60)
                """
            )
        )
        self.assertEqual(self.harness.read_message()["log_record"]["msg"], "sleeping")
        started = time.monotonic()
        self.harness.close_control()
        exit_code, _, _ = self.harness.finish(timeout=10)
        self.assertEqual(exit_code, 4)
        self.assertLess(time.monotonic() - started, 5)

    def test_a_runner_that_stops_reading_events_ends_the_harness(self):
        self.harness.send(
            self.harness.start_message(
                """
                import logging, time

                def run(analysis):
                    for _ in range(600):
                        logging.getLogger("app").info("tick")
                        time.sleep(0.05)
                """
            )
        )
        self.assertEqual(self.harness.read_message()["log_record"]["msg"], "tick")
        self.harness.close_events()
        exit_code, _, _ = self.harness.finish(timeout=10)
        self.assertEqual(exit_code, 4)


if __name__ == "__main__":
    unittest.main()
