"""Entry point: read the start message, run the app, send exactly one final message."""

import logging
import os
import signal
import sys
import threading
import traceback

from .analysis import Analysis
from .app_loading import load_app
from . import downloads
from .channel import Channel, file_descriptors_from_environment
from .child import Child
from .exceptions import ControlChannelClosed, InvalidStartMessage
from .json_safety import to_json_compatible
from .log_forwarding import install_log_forwarding
from .output_persistence import persist_output_manifest, prepare_outputs
from .start_message import parse_start_message

EXIT_OK = 0
EXIT_NO_CHANNEL = 2
EXIT_INVALID_START_MESSAGE = 3
EXIT_CHANNEL_CLOSED = 4
EXIT_TERMINATED = 128 + signal.SIGTERM

HARNESS_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

logger = logging.getLogger(__name__)


class _Run:
    """State the signal handler and the control-reader thread need to see."""

    def __init__(self):
        self.finished = threading.Event()
        self.analysis = None


def main():
    try:
        events_fd, control_fd = file_descriptors_from_environment()
        for fd in (events_fd, control_fd):
            os.fstat(fd)
            # The app's own subprocesses must not hold our pipes open, or the runner would never see them close.
            os.set_inheritable(fd, False)
    except (ValueError, OSError) as error:
        sys.stderr.write(
            "twined_harness: the runner's pipes are not available (%s). Start the harness with the events pipe on "
            "TWINED_HARNESS_EVENTS_FD (default 3) and the control pipe on TWINED_HARNESS_CONTROL_FD (default 4).\n"
            % error
        )
        return EXIT_NO_CHANNEL
    return run_harness(events_fd, control_fd)


def run_harness(events_fd, control_fd):
    """Answer one question over the runner's channel; the two fds may be one socket (a warm start, see zygote.py)."""
    channel = Channel(events_fd, control_fd)
    run = _Run()
    signal.signal(signal.SIGTERM, lambda signum, frame: _terminate(run))

    line = channel.read_first_line()
    if line is None:
        return EXIT_CHANNEL_CLOSED
    try:
        start = parse_start_message(line)
    except InvalidStartMessage as error:
        return _send_final(channel, exception_message(error), EXIT_INVALID_START_MESSAGE)

    channel.on_broken_pipe = lambda: _abandon_unless_finished(run)
    channel.start_reading_responses(on_close=lambda: _abandon_unless_finished(run))
    handler = install_log_forwarding(channel, start["log_level"])
    try:
        final = answer_question(start, channel, run)
    finally:
        logging.getLogger().removeHandler(handler)
    run.finished.set()
    return _send_final(channel, final, EXIT_OK)


def answer_question(start, channel, run):
    """Run the app for one question and return the final `result` or `exception` message."""
    try:
        # Cloud files of the manifests are downloaded through the runner when the app first reads them.
        downloads.connect(channel)
        os.chdir(start["working_directory"])
        output_directory = os.path.abspath(start["output_directory"])
        os.makedirs(output_directory, exist_ok=True)
        twine = start["twine"]
        output_values, output_manifest = prepare_outputs(twine, output_directory)
        children = None
        if start["children"] is not None:
            children = {
                child["key"]: Child(child["key"], child.get("id"), child.get("backend"), channel)
                for child in start["children"]
            }

        analysis = Analysis(
            id=start["question_uuid"],
            twine=twine,
            channel=channel,
            output_directory=output_directory,
            configuration_values=start["configuration_values"],
            configuration_manifest=_manifest_or_none(start["configuration_manifest"]),
            input_values=start["input_values"],
            input_manifest=_manifest_or_none(start["input_manifest"]),
            output_values=output_values,
            output_manifest=output_manifest,
            children=children,
            service_sruid=start["service_sruid"],
        )
        run.analysis = analysis

        app = load_app(start["app_source_path"])
        try:
            app(analysis)
        finally:
            analysis.stop_periodic_monitors()

        manifest = persist_output_manifest(analysis.output_manifest, output_directory)
        return {
            "type": "result",
            "output_values": to_json_compatible(analysis.output_values, "output_values"),
            "output_manifest": (
                to_json_compatible(manifest.to_primitive(), "output_manifest") if manifest is not None else None
            ),
        }
    except ControlChannelClosed:
        _exit_now(EXIT_CHANNEL_CLOSED)
    except BaseException as error:  # Octue reports even SystemExit and KeyboardInterrupt from the app.
        return exception_message(error)


def exception_message(error):
    """Build the `exception` message: class name, `str(error)` and the traceback from the app's first frame on."""
    frames = traceback.extract_tb(error.__traceback__)
    first_outside = next((index for index, frame in enumerate(frames) if not _is_harness_frame(frame)), None)
    if first_outside is not None:
        frames = frames[first_outside:]
    try:
        message = str(error)
    except Exception:
        message = repr(error)
    return {
        "type": "exception",
        "exception_type": type(error).__name__,
        "exception_message": message,
        "exception_traceback": traceback.format_list(frames),
    }


def _is_harness_frame(frame):
    # Import machinery frames (when app.py fails at import time) say nothing about the app either.
    if frame.filename.startswith("<frozen "):
        return True
    return os.path.abspath(frame.filename).startswith(HARNESS_DIRECTORY + os.sep)


def _manifest_or_none(data):
    if data is None:
        return None
    from .resources import Manifest

    return Manifest.from_primitive(data)


def _send_final(channel, message, exit_code):
    try:
        channel.send(message)
    except OSError:
        return EXIT_CHANNEL_CLOSED
    return exit_code


def _abandon_unless_finished(run):
    # Once the final message is on its way the runner may close the pipe; that is a normal end, not an abort.
    if not run.finished.is_set():
        _exit_now(EXIT_CHANNEL_CLOSED)


def _terminate(run):
    if run.analysis is not None:
        for monitor in run.analysis._periodic_monitors:
            monitor.stop()
    _exit_now(EXIT_TERMINATED)


def _exit_now(code):
    # os._exit skips waiting for the app's threads, which could otherwise keep a cancelled question alive.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)
