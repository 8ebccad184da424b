"""A minimal runner for tests: starts `python3 -m twined_harness` on real pipes and speaks the channel protocol."""

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

RUNTIME_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_app(directory, source, extra_files=None):
    """Write `app.py` (dedented) and any `{name: source}` extra modules into `directory`; return it."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "app.py"), "w") as file:
        file.write(textwrap.dedent(source))
    for name, text in (extra_files or {}).items():
        with open(os.path.join(directory, name), "w") as file:
            file.write(textwrap.dedent(text))
    return directory


class HarnessProcess:
    """One harness subprocess with the test acting as the runner."""

    def __init__(self, environment=None, default_fds=False):
        self.workspace = tempfile.mkdtemp(prefix="twined-harness-test-")
        events_read, events_write = os.pipe()
        control_read, control_write = os.pipe()
        python_path = os.pathsep.join(filter(None, [RUNTIME_DIRECTORY, os.environ.get("PYTHONPATH")]))
        env = dict(
            os.environ,
            PYTHONPATH=python_path,
            TWINED_HARNESS_EVENTS_FD=str(events_write),
            TWINED_HARNESS_CONTROL_FD=str(control_read),
        )
        env.update(environment or {})
        command = [sys.executable, "-m", "twined_harness"]
        if default_fds:
            # Let a shell move the pipes to fds 3 and 4, as the TypeScript runner does, and drop the variables.
            del env["TWINED_HARNESS_EVENTS_FD"], env["TWINED_HARNESS_CONTROL_FD"]
            command = ["/bin/sh", "-c", 'exec "$0" -m twined_harness 3>&%d 4<&%d' % (events_write, control_read), sys.executable]
        self.process = subprocess.Popen(
            command,
            pass_fds=(events_write, control_read),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.close(events_write)
        os.close(control_read)
        self._events_fd = events_read
        self._control_fd = control_write
        self._buffer = b""
        self.raw_lines = []

    def start_message(self, app_source, **overrides):
        """Return a start message for an app written into this workspace from `app_source`."""
        app_directory = write_app(os.path.join(self.workspace, "app"), app_source, overrides.pop("extra_files", None))
        message = {
            "type": "start",
            "question_uuid": "d4f0b1c2-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
            "app_source_path": app_directory,
            "working_directory": self.workspace,
            "output_directory": os.path.join(self.workspace, "outputs"),
            "twine": {},
            "configuration_values": None,
            "configuration_manifest": None,
            "input_values": None,
            "input_manifest": None,
            "children": None,
            "log_level": "INFO",
            "service_sruid": "test-namespace/test-service:1.0.0",
        }
        message.update(overrides)
        return message

    def send(self, message):
        self.send_raw(json.dumps(message).encode("utf-8") + b"\n")

    def send_raw(self, data):
        os.write(self._control_fd, data)

    def close_control(self):
        if self._control_fd is not None:
            os.close(self._control_fd)
            self._control_fd = None

    def close_events(self):
        if self._events_fd is not None:
            os.close(self._events_fd)
            self._events_fd = None

    def read_message(self, timeout=20):
        """Return the next message from the events pipe, or None at end of file."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("No message from the harness within %s s." % timeout)
            ready, _, _ = select.select([self._events_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._events_fd, 65536)
            if not chunk:
                if self._buffer:
                    raise AssertionError("The harness left a partial line: %r" % self._buffer)
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        self.raw_lines.append(line)
        return json.loads(line.decode("utf-8"))

    def read_until_final(self, on_request=None, timeout=20):
        """Collect messages up to the final `result`/`exception`; `on_request(message)` answers requests."""
        messages = []
        while True:
            message = self.read_message(timeout)
            if message is None:
                raise AssertionError("The harness closed the events pipe without a final message: %r" % messages)
            messages.append(message)
            if message["type"] in ("result", "exception"):
                return messages
            if "id" in message and on_request is not None:
                response = on_request(message)
                if response is not None:
                    self.send(dict(response, id=message["id"]))

    def finish(self, timeout=20):
        """Wait for the process to exit; return `(exit code, stdout text, stderr text)`."""
        stdout, stderr = self.process.communicate(timeout=timeout)
        self.close_control()
        return self.process.returncode, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")

    def close(self):
        self.close_control()
        self.close_events()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None and not stream.closed:
                stream.close()
        shutil.rmtree(self.workspace, ignore_errors=True)
