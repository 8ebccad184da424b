"""The `analysis` object handed to the app."""

import json
import logging
import threading

from .exceptions import InvalidValuesJson
from .json_safety import to_json_compatible
from .output_persistence import persist_output_manifest
from .remote_exceptions import build_exception

logger = logging.getLogger(__name__)


class Analysis:
    """One question's inputs, configuration, outputs, children and monitoring, as Octue's `Analysis` offers them.

    Outputs are validated by the runner after the app returns; `finalise()` only saves the output datasets into the
    output directory early, which matters for apps that build outputs in a temporary folder and finalise inside it.
    """

    def __init__(
        self,
        id,
        twine,
        channel,
        output_directory,
        configuration_values=None,
        configuration_manifest=None,
        input_values=None,
        input_manifest=None,
        output_values=None,
        output_manifest=None,
        children=None,
        service_sruid=None,
    ):
        self.id = id
        self.twine = twine
        self.configuration_values = configuration_values
        self.configuration_manifest = configuration_manifest
        self.input_values = input_values
        self.input_manifest = input_manifest
        self.output_values = output_values
        self.output_manifest = output_manifest
        self.children = children
        self.service_sruid = service_sruid
        self.output_location = None
        self.use_signed_urls_for_output_datasets = False
        self.finalised = False
        self._channel = channel
        self._output_directory = output_directory
        self._periodic_monitors = []

    @property
    def output_directory(self):
        """The local folder output datasets are saved to."""
        return self._output_directory

    def send_monitor_message(self, data):
        """Send `data` to the runner, which validates it against `monitor_message_schema` and forwards it.

        JSON text is parsed first, as Octue does. Raises `InvalidMonitorMessage` or `StrandNotFound` as reported.
        """
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as error:
                raise InvalidValuesJson("The monitor message is not valid JSON: %s" % error) from None
        data = to_json_compatible(data, "monitor message")
        response = self._channel.request({"type": "monitor_message", "data": data})
        error = (response or {}).get("error")
        if error:
            raise build_exception(error.get("type") or "InvalidMonitorMessage", error.get("message", ""))

    def set_up_periodic_monitor_message(self, create_monitor_message, period=60):
        """Send `create_monitor_message()` every `period` seconds (first after one period) until the app ends."""
        monitor = _PeriodicMonitor(self, create_monitor_message, period)
        self._periodic_monitors.append(monitor)
        monitor.start()
        return monitor

    def finalise(self, upload_output_datasets_to=None, use_signed_urls=None):
        """Save the output datasets into the output directory now; validation and uploads are the runner's job."""
        if upload_output_datasets_to is not None or use_signed_urls is not None:
            logger.debug("Output datasets are uploaded by the runner, so the upload arguments to finalise are ignored.")
        self.output_manifest = persist_output_manifest(self.output_manifest, self._output_directory)
        self.finalised = True

    def stop_periodic_monitors(self, timeout=1.0):
        for monitor in self._periodic_monitors:
            monitor.stop()
        for monitor in self._periodic_monitors:
            monitor.join(timeout)


class _PeriodicMonitor(threading.Thread):
    def __init__(self, analysis, create_monitor_message, period):
        super().__init__(name="twined-periodic-monitor", daemon=True)
        self._analysis = analysis
        self._create = create_monitor_message
        self._period = period
        self._stopped = threading.Event()

    def run(self):
        while not self._stopped.wait(self._period):
            try:
                self._analysis.send_monitor_message(self._create())
            except Exception:
                # One bad message should not end monitoring (or the analysis); report it and keep the schedule.
                logger.exception("A periodic monitor message could not be sent.")

    def stop(self):
        self._stopped.set()
