"""The two pipes shared with the runner: newline-delimited JSON events out, control messages in."""

import itertools
import json
import os
import threading

from .exceptions import ControlChannelClosed

DEFAULT_EVENTS_FD = 3
DEFAULT_CONTROL_FD = 4


def file_descriptors_from_environment(environment=None):
    """Return `(events_fd, control_fd)` from the environment, falling back to 3 and 4."""
    environment = os.environ if environment is None else environment
    events_fd = int(environment.get("TWINED_HARNESS_EVENTS_FD", DEFAULT_EVENTS_FD))
    control_fd = int(environment.get("TWINED_HARNESS_CONTROL_FD", DEFAULT_CONTROL_FD))
    return events_fd, control_fd


def encode_message(message):
    """Encode one message as a single UTF-8 line.

    `ensure_ascii` keeps lone surrogates (e.g. from undecodable file names) from making the line invalid UTF-8, and
    `allow_nan=False` stops NaN/Infinity, which are not JSON, from reaching the runner.
    """
    return (json.dumps(message, ensure_ascii=True, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")


class _PendingRequest:
    def __init__(self):
        self.done = threading.Event()
        self.response = None


class Channel:
    """Writes events under a lock and matches runner responses to requests by `id`."""

    def __init__(self, events_fd, control_fd):
        self._events_fd = events_fd
        self._control_fd = control_fd
        self._buffer = b""
        self._write_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending = {}
        self._ids = itertools.count(1)
        self._closed = threading.Event()
        self._on_close = None
        # Called when the runner has stopped reading our events; the harness uses it to exit.
        self.on_broken_pipe = None

    # Outgoing.

    def send(self, message):
        """Write one message; raises `BrokenPipeError` if the runner has gone (after calling `on_broken_pipe`)."""
        data = encode_message(message)
        try:
            with self._write_lock:
                view = memoryview(data)
                while view:
                    written = os.write(self._events_fd, view)
                    view = view[written:]
        except (BrokenPipeError, ConnectionResetError):
            # A socket (a warm start's channel) reports a vanished runner as a reset rather than a broken pipe.
            if self.on_broken_pipe is not None:
                self.on_broken_pipe()
            raise

    def request(self, message, timeout=None):
        """Send `message` with a fresh `id` and block until the runner answers it.

        Returns the response, or None if `timeout` seconds pass first. Raises `ControlChannelClosed` if the runner
        closes the control pipe while waiting.
        """
        request_id = next(self._ids)
        pending = _PendingRequest()
        with self._pending_lock:
            if self._closed.is_set():
                raise ControlChannelClosed("The runner closed the control channel.")
            self._pending[request_id] = pending
        try:
            self.send(dict(message, id=request_id))
            pending.done.wait(timeout)
        finally:
            with self._pending_lock:
                self._pending.pop(request_id, None)
        if pending.response is None and self._closed.is_set():
            raise ControlChannelClosed("The runner closed the control channel while a request was waiting.")
        return pending.response

    # Incoming.

    def read_first_line(self):
        """Return the first control line (the start message) as bytes, or None at end of file."""
        return self._read_line()

    def start_reading_responses(self, on_close):
        """Dispatch later control lines to waiting requests on a daemon thread; call `on_close()` at end of file."""
        self._on_close = on_close
        thread = threading.Thread(target=self._read_responses, name="twined-harness-control", daemon=True)
        thread.start()
        return thread

    def _read_responses(self):
        while True:
            line = self._read_line()
            if line is None:
                break
            try:
                message = json.loads(line.decode("utf-8"))
                request_id = message.get("id")
            except (ValueError, AttributeError):
                # A malformed line cannot be matched to a request; ignoring it keeps the question running.
                continue
            with self._pending_lock:
                pending = self._pending.get(request_id)
            if pending is not None:
                pending.response = message
                pending.done.set()
        with self._pending_lock:
            self._closed.set()
            waiting = list(self._pending.values())
        for pending in waiting:
            pending.done.set()
        if self._on_close is not None:
            self._on_close()

    def _read_line(self):
        # Reading byte chunks ourselves avoids the buffered reader holding a partial line across threads.
        buffer = self._buffer
        while b"\n" not in buffer:
            try:
                chunk = os.read(self._control_fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._buffer = b""
                return buffer if buffer.strip() else None
            buffer += chunk
        line, _, self._buffer = buffer.partition(b"\n")
        return line
