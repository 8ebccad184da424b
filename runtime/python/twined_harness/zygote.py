"""Warm starts: one Python process per service revision imports the harness and the app once, then forks a fresh
process for every question (PROTOCOL.md §9).

The zygote itself never runs a question, so each question starts from the same pristine state: the imported modules
and nothing that any earlier question did.
"""

import atexit
import json
import os
import random
import select
import signal
import socket
import sys
import threading

from . import main as harness
from .app_loading import preload_app
from .channel import encode_message, file_descriptors_from_environment

EXIT_OK = 0
EXIT_NO_CHANNEL = 2
EXIT_INVALID_START_MESSAGE = 3
EXIT_CHANNEL_CLOSED = 4

STREAMS = ("events", "stdout", "stderr")


class _RunnerGone(Exception):
    pass


class Zygote:
    def __init__(self, events_fd, control_fd):
        self.events_fd = events_fd
        self.control_fd = control_fd
        self.children = set()
        self._buffer = b""
        self._wake_fds = ()

    def run(self):
        """Serve fork requests until the runner closes the control pipe. In a forked child, returns its exit code."""
        line = self._read_first_line()
        if line is None:
            return EXIT_CHANNEL_CLOSED
        try:
            start = json.loads(line.decode("utf-8"))
            if not isinstance(start, dict) or start.get("type") != "zygote":
                raise ValueError("the first control line must be a 'zygote' message")
            app_source_path = start["app_source_path"]
            working_directory = start["working_directory"]
            if not isinstance(app_source_path, str) or not isinstance(working_directory, str):
                raise ValueError("app_source_path and working_directory must be strings")
        except (ValueError, KeyError) as error:
            self._send_quietly({"type": "ready", "app_loaded": False, "exception": harness.exception_message(error)})
            return EXIT_INVALID_START_MESSAGE

        try:
            # As a cold start does before importing the app, so module-level code sees the same working directory.
            os.chdir(working_directory)
            preload_app(app_source_path)
        except BaseException as error:  # The runner then starts the question cold, which reports this same error.
            self._send_quietly({"type": "ready", "app_loaded": False, "exception": harness.exception_message(error)})
            return EXIT_OK

        try:
            self._send({"type": "ready", "app_loaded": True, "pid": os.getpid()})
            return self._serve()
        except _RunnerGone:
            return EXIT_OK

    def _serve(self):
        wake_read, wake_write = os.pipe()
        for fd in (wake_read, wake_write):
            os.set_blocking(fd, False)
        self._wake_fds = (wake_read, wake_write)
        # A Python-level handler (not SIG_DFL) is what makes the interpreter write SIGCHLD to the wake-up fd.
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(wake_write)
        while True:
            readable, _, _ = select.select([self.control_fd, wake_read], [], [])
            if wake_read in readable:
                _drain(wake_read)
            self._reap()
            if self.control_fd not in readable:
                continue
            lines = self._read_available_lines()
            if lines is None:
                # Questions already forked carry on; their runners see them end through their own sockets.
                return EXIT_OK
            for line in lines:
                code = self._handle(line)
                if code is not None:
                    return code

    def _handle(self, line):
        try:
            message = json.loads(line.decode("utf-8"))
            kind = message.get("type")
        except (ValueError, AttributeError):
            return None
        if kind == "fork":
            return self._fork(message)
        if kind == "kill":
            pid, signal_number = message.get("pid"), message.get("signal")
            # Only a child not yet reaped: its pid cannot have been reused by another process.
            if pid in self.children and isinstance(signal_number, int):
                try:
                    os.kill(pid, signal_number)
                except ProcessLookupError:
                    pass
        return None

    def _fork(self, request):
        request_id = request.get("id")
        for stream in (sys.stdout, sys.stderr):
            _flush(stream)
        try:
            pid = os.fork()
        except OSError as error:
            self._send({"type": "fork_failed", "id": request_id, "message": str(error)})
            return None
        if pid == 0:
            return self._become_question(request)
        self.children.add(pid)
        self._send({"type": "forked", "id": request_id, "pid": pid})
        return None

    def _become_question(self, request):
        """In the forked child: drop the zygote's channel, connect to the runner, reset per-process state, answer."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in (self.events_fd, self.control_fd, *self._wake_fds):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            connections = {name: _connect(request["socket"], request["token"], name) for name in STREAMS}
        except (OSError, KeyError, TypeError):
            return EXIT_NO_CHANNEL
        # The app's print(), C libraries' output and Python's own tracebacks go to this question's runner.
        os.dup2(connections["stdout"].fileno(), 1)
        os.dup2(connections["stderr"].fileno(), 2)
        connections["stdout"].close()
        connections["stderr"].close()
        channel_fd = connections["events"].detach()

        environment = request.get("environment")
        if isinstance(environment, dict):
            os.environ.clear()
            os.environ.update({str(key): str(value) for key, value in environment.items()})
        working_directory = request.get("working_directory")
        if isinstance(working_directory, str):
            os.chdir(working_directory)
        sys.argv = [os.path.join(harness.HARNESS_DIRECTORY, "__main__.py")]
        # Forked children would otherwise all draw the same "random" numbers as each other. `random` also reseeds
        # itself after a fork (os.register_at_fork); numpy's global generator does not.
        random.seed()
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:
            try:
                numpy_random.seed()
            except Exception:
                pass
        code = harness.run_harness(channel_fd, channel_fd)
        _exit_like_an_interpreter(code)

    def _reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid not in self.children:
                continue
            self.children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            self._send(
                {
                    "type": "exited",
                    "pid": pid,
                    "code": code if code >= 0 else None,
                    "signal": -code if code < 0 else None,
                }
            )

    def _send(self, message):
        data = memoryview(encode_message(message))
        try:
            while data:
                written = os.write(self.events_fd, data)
                data = data[written:]
        except OSError:
            raise _RunnerGone()

    def _send_quietly(self, message):
        try:
            self._send(message)
        except _RunnerGone:
            pass

    def _read_first_line(self):
        while b"\n" not in self._buffer:
            chunk = _read(self.control_fd)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _read_available_lines(self):
        chunk = _read(self.control_fd)
        if not chunk:
            return None
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [line for line in lines if line.strip()]


def _exit_like_an_interpreter(code):
    """End a forked question as a normal interpreter exit would, without tearing down every imported module.

    A cold harness's exit waits for the app's non-daemon threads and runs its `atexit` functions; so does this. The
    module teardown that follows in a normal exit is skipped: with a large set of imports (numpy, …) it takes longer
    than the question, and the zygote's copy of those modules is untouched either way.
    """
    try:
        threading._shutdown()
    except Exception:
        pass
    try:
        atexit._run_exitfuncs()
    except Exception:
        pass
    for stream in (sys.stdout, sys.stderr):
        _flush(stream)
    os._exit(code)


def _connect(path, token, stream):
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    connection.sendall(encode_message({"token": token, "stream": stream}))
    return connection


def _read(fd):
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def _drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


def _flush(stream):
    try:
        stream.flush()
    except Exception:
        pass


def main():
    try:
        events_fd, control_fd = file_descriptors_from_environment()
        for fd in (events_fd, control_fd):
            os.fstat(fd)
            os.set_inheritable(fd, False)
    except (ValueError, OSError) as error:
        sys.stderr.write("twined_harness.zygote: the runner's pipes are not available (%s).\n" % error)
        return EXIT_NO_CHANNEL
    return Zygote(events_fd, control_fd).run()


if __name__ == "__main__":
    sys.exit(main())
