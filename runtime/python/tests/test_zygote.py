"""Warm starts: the zygote as a subprocess, with the test acting as the runner (its control pipe and the socket each
forked question connects to)."""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from tests.harness_process import RUNTIME_DIRECTORY, write_app

TIMEOUT = 20


class _Lines:
    """Newline-delimited JSON read from one fd or socket."""

    def __init__(self, read):
        self._read = read
        self._buffer = b""

    def next(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            chunk = self._read(deadline)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line.decode("utf-8"))

    def rest(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        data = self._buffer
        while True:
            chunk = self._read(deadline)
            if not chunk:
                return data
            data += chunk


def _reader(fd):
    def read(deadline):
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(remaining, 0))
        if not ready:
            raise TimeoutError("nothing to read within the time limit")
        return os.read(fd, 65536)

    return read


class ZygoteProcess:
    def __init__(self, app_source, extra_files=None):
        self.workspace = tempfile.mkdtemp(prefix="twined-zygote-test-")
        self.app_directory = write_app(os.path.join(self.workspace, "app"), app_source, extra_files)
        events_read, events_write = os.pipe()
        control_read, control_write = os.pipe()
        env = dict(
            os.environ,
            PYTHONPATH=RUNTIME_DIRECTORY,
            TWINED_HARNESS_EVENTS_FD=str(events_write),
            TWINED_HARNESS_CONTROL_FD=str(control_read),
        )
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "twined_harness.zygote"],
            pass_fds=(events_write, control_read),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.close(events_write)
        os.close(control_read)
        self.control_fd = control_write
        self.events = _Lines(_reader(events_read))
        self._events_fd = events_read
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket_path = os.path.join(self.workspace, "questions.sock")
        self.server.bind(self.socket_path)
        self.server.listen(16)
        self._ids = iter(range(1, 1000))
        self.exits = {}
        self.send({"type": "zygote", "app_source_path": self.app_directory, "working_directory": self.workspace})

    def send(self, message):
        os.write(self.control_fd, json.dumps(message).encode("utf-8") + b"\n")

    def next_event(self):
        message = self.events.next()
        if message is not None and message["type"] == "exited":
            self.exits[message["pid"]] = message
        return message

    def fork(self, environment=None):
        """Ask for a question process; return `(pid, {stream: socket})` once it has connected all three streams."""
        request_id = next(self._ids)
        token = "token-%d" % request_id
        self.send(
            {
                "type": "fork",
                "id": request_id,
                "socket": self.socket_path,
                "token": token,
                "environment": dict(os.environ, **(environment or {})),
                "working_directory": self.workspace,
            }
        )
        while True:
            message = self.next_event()
            if message["type"] == "forked" and message["id"] == request_id:
                pid = message["pid"]
                break
        streams = {}
        while len(streams) < 3:
            self.server.settimeout(TIMEOUT)
            connection, _ = self.server.accept()
            connection.settimeout(TIMEOUT)
            lines = _Lines(lambda deadline, c=connection: c.recv(65536))
            hello = lines.next()
            self.assertEqual(hello["token"], token)
            streams[hello["stream"]] = (connection, lines)
        return pid, streams

    def assertEqual(self, a, b):
        if a != b:
            raise AssertionError("%r != %r" % (a, b))

    def ask(self, start_overrides=None, environment=None):
        """Answer one question in a forked process; return (pid, messages, stdout, stderr, exit message)."""
        pid, streams = self.fork(environment)
        connection, lines = streams["events"]
        start = {
            "type": "start",
            "question_uuid": "d4f0b1c2-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
            "app_source_path": self.app_directory,
            "working_directory": self.workspace,
            "output_directory": os.path.join(self.workspace, "outputs"),
            "twine": {},
        }
        start.update(start_overrides or {})
        connection.sendall(json.dumps(start).encode("utf-8") + b"\n")
        messages = []
        while True:
            message = lines.next()
            if message is None:
                break
            messages.append(message)
            if message["type"] in ("result", "exception"):
                break
        exit_message = self.wait_exit(pid)
        stdout = streams["stdout"][1].rest().decode("utf-8")
        stderr = streams["stderr"][1].rest().decode("utf-8")
        for connection, _ in streams.values():
            connection.close()
        return pid, messages, stdout, stderr, exit_message

    def wait_exit(self, pid):
        while pid not in self.exits:
            if self.next_event() is None:
                raise AssertionError("the zygote ended before reporting %d" % pid)
        return self.exits[pid]

    def close(self):
        if self.control_fd is not None:
            os.close(self.control_fd)
            self.control_fd = None
        try:
            self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                stream.close()
            os.close(self._events_fd)
            self.server.close()
            shutil.rmtree(self.workspace, ignore_errors=True)


class ZygoteTestCase(unittest.TestCase):
    def start_zygote(self, app_source, extra_files=None):
        zygote = ZygoteProcess(app_source, extra_files)
        self.addCleanup(zygote.close)
        return zygote


class TestWarmStarts(ZygoteTestCase):
    def test_each_question_gets_a_fresh_process_with_nothing_from_the_last(self):
        zygote = self.start_zygote(
            """
            import os, random
            IMPORTED_IN = os.getpid()
            seen = []

            def run(analysis):
                seen.append(analysis.input_values)
                os.environ["LEFT_BY_A_QUESTION"] = "yes"
                print("printed by", analysis.input_values)
                analysis.output_values = {
                    "seen": list(seen),
                    "left": os.environ.get("LEFT_BY_A_QUESTION_BEFORE"),
                    "imported_in_another_process": IMPORTED_IN != os.getpid(),
                    "parent": os.getppid(),
                    "random": random.random(),
                    "question_variable": os.environ.get("QUESTION_VARIABLE"),
                }
                os.environ["LEFT_BY_A_QUESTION_BEFORE"] = "yes"
            """
        )
        ready = zygote.next_event()
        self.assertEqual(ready["type"], "ready")
        self.assertTrue(ready["app_loaded"])

        answers = []
        for number in (1, 2):
            pid, messages, stdout, _, exit_message = zygote.ask(
                {"input_values": number}, environment={"QUESTION_VARIABLE": str(number)}
            )
            self.assertEqual(messages[-1]["type"], "result", messages)
            self.assertEqual(stdout, "printed by %d\n" % number)
            self.assertEqual(exit_message, {"type": "exited", "pid": pid, "code": 0, "signal": None})
            answers.append(messages[-1]["output_values"])

        first, second = answers
        self.assertEqual(first["seen"], [1])
        self.assertEqual(second["seen"], [2])
        self.assertIsNone(second["left"])
        self.assertTrue(second["imported_in_another_process"])
        self.assertEqual(first["parent"], ready["pid"])
        self.assertNotEqual(first["random"], second["random"])
        self.assertEqual([first["question_variable"], second["question_variable"]], ["1", "2"])

    def test_app_exception_and_traceback_come_through(self):
        zygote = self.start_zygote(
            """
            def run(analysis):
                helper()

            def helper():
                raise ValueError("bad input")
            """
        )
        self.assertTrue(zygote.next_event()["app_loaded"])
        _, messages, _, _, exit_message = zygote.ask()
        final = messages[-1]
        self.assertEqual(final["type"], "exception")
        self.assertEqual(final["exception_type"], "ValueError")
        self.assertEqual(final["exception_message"], "bad input")
        self.assertEqual(len(final["exception_traceback"]), 2)
        self.assertIn("in run", final["exception_traceback"][0])
        self.assertIn("in helper", final["exception_traceback"][1])
        self.assertEqual(exit_message["code"], 0)

    def test_a_killed_question_is_reported_and_the_zygote_carries_on(self):
        zygote = self.start_zygote(
            """
            import time

            def run(analysis):
                if analysis.input_values == "hang":
                    time.sleep(600)
                analysis.output_values = "done"
            """
        )
        self.assertTrue(zygote.next_event()["app_loaded"])
        pid, streams = zygote.fork()
        connection, _ = streams["events"]
        connection.sendall(
            json.dumps(
                {
                    "type": "start",
                    "question_uuid": "q",
                    "app_source_path": zygote.app_directory,
                    "working_directory": zygote.workspace,
                    "output_directory": os.path.join(zygote.workspace, "outputs"),
                    "twine": {},
                    "input_values": "hang",
                }
            ).encode("utf-8")
            + b"\n"
        )
        zygote.send({"type": "kill", "pid": pid, "signal": signal.SIGKILL})
        self.assertEqual(zygote.wait_exit(pid), {"type": "exited", "pid": pid, "code": None, "signal": 9})
        for stream, _ in streams.values():
            stream.close()
        _, messages, _, _, _ = zygote.ask()
        self.assertEqual(messages[-1]["output_values"], "done")

    def test_a_question_ends_as_an_interpreter_does_joining_threads_and_running_atexit(self):
        zygote = self.start_zygote(
            """
            import atexit, os, threading, time

            def run(analysis):
                def later():
                    time.sleep(0.2)
                    open("thread-finished", "w").close()

                threading.Thread(target=later).start()
                atexit.register(lambda: open("atexit-ran", "w").close())
                analysis.output_values = "answered"
            """
        )
        self.assertTrue(zygote.next_event()["app_loaded"])
        _, messages, _, _, exit_message = zygote.ask()
        self.assertEqual(messages[-1]["output_values"], "answered")
        self.assertEqual(exit_message["code"], 0)
        for name in ("thread-finished", "atexit-ran"):
            self.assertTrue(os.path.exists(os.path.join(zygote.workspace, name)), name)

    def test_an_app_that_fails_to_import_is_reported_and_the_zygote_ends(self):
        zygote = self.start_zygote("import a_module_that_does_not_exist\n")
        ready = zygote.next_event()
        self.assertEqual(ready["type"], "ready")
        self.assertFalse(ready["app_loaded"])
        self.assertEqual(ready["exception"]["exception_type"], "ModuleNotFoundError")
        self.assertEqual(zygote.process.wait(timeout=TIMEOUT), 0)

    def test_closing_the_control_pipe_ends_the_zygote(self):
        zygote = self.start_zygote("def run(analysis):\n    pass\n")
        self.assertTrue(zygote.next_event()["app_loaded"])
        os.close(zygote.control_fd)
        zygote.control_fd = None
        self.assertEqual(zygote.process.wait(timeout=TIMEOUT), 0)


if __name__ == "__main__":
    unittest.main()
