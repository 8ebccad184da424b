"""`analysis.children[key]`: asks another service a question through the runner."""

import logging

from .json_safety import to_json_compatible
from .remote_exceptions import child_exception

logger = logging.getLogger(__name__)

# Extra time the harness waits past the child timeout, so the runner's own timeout error normally arrives first.
LOCAL_TIMEOUT_MARGIN_SECONDS = 10


class Child:
    """A child service of the analysis, identified by `key` in the twine and `id` (its SRUID) from configuration."""

    def __init__(self, key, id, backend, channel):
        self.key = key
        self.id = id
        self.backend = backend
        self._channel = channel

    def ask(
        self,
        input_values=None,
        input_manifest=None,
        question_uuid=None,
        timeout=86400,
        raise_errors=True,
        max_retries=0,
        prevent_retries_when=None,
        log_errors=True,
        **kwargs
    ):
        """Ask the child a question and return `(answer, question_uuid)`.

        `answer` is `{"output_values", "output_manifest"}` with the manifest as a `Manifest` (or None). Other Octue
        keyword arguments (e.g. `allow_local_files`, `save_diagnostics`) are accepted; the runner decides those.
        With `raise_errors=False`, retries follow Octue: up to `max_retries` more attempts unless the error's exact
        type is in `prevent_retries_when`, and the last error is returned in place of the answer.
        """
        if kwargs.get("asynchronous"):
            raise NotImplementedError("Asynchronous questions are not supported by this runtime.")
        if raise_errors:
            return self._ask_once(input_values, input_manifest, question_uuid, timeout)

        prevent_retries_when = tuple(prevent_retries_when or ())
        error = None
        for attempt in range(max_retries + 1):
            try:
                return self._ask_once(input_values, input_manifest, question_uuid, timeout)
            except Exception as caught:
                error = caught
                if type(caught) in prevent_retries_when:
                    return caught, question_uuid
                if attempt < max_retries:
                    logger.warning("Question to child %r failed (%s); retrying.", self.id, type(caught).__name__)
        if log_errors:
            logger.error("Question to child %r failed after %d attempt(s): %s", self.id, max_retries + 1, error)
        return error, question_uuid

    def _ask_once(self, input_values, input_manifest, question_uuid, timeout):
        # Imported here: an app that asks no child with datasets never loads the dataset classes.
        from .resources import Manifest

        if isinstance(input_manifest, Manifest):
            input_manifest = input_manifest.to_primitive()
        request = {
            "type": "ask_child",
            "key": self.key,
            "input_values": to_json_compatible(input_values, "input_values"),
            "input_manifest": to_json_compatible(input_manifest, "input_manifest"),
            "timeout": timeout,
            "question_uuid": question_uuid,
        }
        local_timeout = None if timeout is None else timeout + LOCAL_TIMEOUT_MARGIN_SECONDS
        response = self._channel.request(request, timeout=local_timeout)
        if response is None:
            raise TimeoutError("No final result received from the child %r after %s seconds." % (self.id, timeout))

        answered_question_uuid = response.get("question_uuid") or question_uuid
        error = response.get("error")
        if error:
            raise child_exception(error, self.id)

        answer = response.get("answer")
        if answer is None:
            return None, answered_question_uuid
        output_manifest = answer.get("output_manifest")
        return (
            {
                "output_values": answer.get("output_values"),
                "output_manifest": Manifest.from_primitive(output_manifest) if output_manifest is not None else None,
            },
            answered_question_uuid,
        )

    def __repr__(self):
        return "<Child(%r, key=%r)>" % (self.id, self.key)
