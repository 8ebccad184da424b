import type {
  ChildAttributes,
  ChildEvent,
  ChildEventEnvelope,
  ParentAttributes,
  SerialisedManifest,
} from "../../../shared/events/index.js";

/** The serialised question attributes of Octue's GCP event-handler tests (octue-protocol §10). */
export const WIRE_QUESTION_ATTRIBUTES: Readonly<Record<string, string>> = {
  datetime: "2024-04-11T09:26:39.144818",
  uuid: "c8bda9fa-f072-4330-92b1-96920d06b28d",
  parent: "octue/parent-test-service:5.6.3",
  originator: "octue/ancestor-test-service:5.6.3",
  sender: "octue/test-service:5.6.3",
  sender_type: "PARENT",
  sender_sdk_version: "1.0.3",
  recipient: "octue/another-service:1.0.0",
  question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
  parent_question_uuid: "1d897229-155d-498d-b6ae-21960fab3754",
  originator_question_uuid: "fb6cf9a3-84fb-45ce-a4da-0d2257bec319",
  retry_count: "0",
  forward_logs: "1",
  save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
  cpus: "1",
  memory: "2Gi",
  ephemeral_storage: "256Mi",
};

export const QUESTION_ATTRIBUTES: ParentAttributes = {
  datetime: "2024-04-11T09:26:39.144818",
  uuid: "c8bda9fa-f072-4330-92b1-96920d06b28d",
  parent: "octue/parent-test-service:5.6.3",
  originator: "octue/ancestor-test-service:5.6.3",
  sender: "octue/test-service:5.6.3",
  sender_type: "PARENT",
  sender_sdk_version: "1.0.3",
  recipient: "octue/another-service:1.0.0",
  question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
  parent_question_uuid: "1d897229-155d-498d-b6ae-21960fab3754",
  originator_question_uuid: "fb6cf9a3-84fb-45ce-a4da-0d2257bec319",
  retry_count: 0,
  forward_logs: true,
  save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
  cpus: 1,
  memory: "2Gi",
  ephemeral_storage: "256Mi",
};

/** Attributes shared by every event of the SDK's replay fixture (tests/data/events.json), filled out to full UUIDs. */
export const REPLAY_ATTRIBUTES: ChildAttributes = {
  datetime: "2024-04-11T10:46:48.236064",
  uuid: "a9de11b1-e88f-43fa-b3a4-40a590c3443f",
  question_uuid: "d45c7e99-d610-413b-8130-dd6eef46dda6",
  parent_question_uuid: "5776ad74-52a6-46f7-a526-90421d91b8b2",
  originator_question_uuid: "86dc55b2-4282-42bd-92d0-bd4991ae7356",
  parent: "octue/another-service:3.2.1",
  originator: "octue/another-service:3.2.1",
  sender: "octue/test-service:1.0.0",
  sender_type: "CHILD",
  sender_sdk_version: "0.51.0",
  recipient: "octue/another-service:3.2.1",
  retry_count: 0,
};

export const EXAMPLE_MANIFEST: SerialisedManifest = {
  id: "a13713ae-f207-41c6-9e00-2a68bd1b0b13",
  name: null,
  datasets: {
    example_dataset: {
      id: "419bff6b-08c3-4c16-9eb1-5d1709168003",
      name: "divergent-strange-gharial-of-pizza",
      tags: {},
      labels: [],
      path: "https://storage.googleapis.com/octue-sdk-python-test-bucket/example_output_datasets/example_dataset/.signed_metadata_files/divergent-strange-gharial-of-pizza",
      files: [
        "https://storage.googleapis.com/octue-sdk-python-test-bucket/example_output_datasets/example_dataset/output.dat",
      ],
    },
  },
};

function logRecord(msg: string): ChildEvent {
  return {
    kind: "log_record",
    log_record: {
      name: "app",
      msg,
      args: null,
      levelname: "INFO",
      levelno: 20,
      pathname: "/workspace/app.py",
      filename: "app.py",
      module: "app",
      exc_info: null,
      exc_text: null,
      stack_info: null,
      lineno: 42,
      funcName: "run",
      created: 1712832408.236,
      msecs: 236.0,
      relativeCreated: 1023.4,
      thread: 1,
      threadName: "MainThread",
      processName: "MainProcess",
      process: 7,
    },
  };
}

/** The response stream of the replay fixture: ack, five logs, the result, a trailing heartbeat. */
export const REPLAY_STREAM: ChildEventEnvelope[] = [
  { kind: "delivery_acknowledgement" } as ChildEvent,
  logRecord("Started example analysis."),
  logRecord("Finished example analysis."),
  logRecord("Uploading output datasets."),
  logRecord("Uploaded output datasets."),
  logRecord("Sending result."),
  { kind: "result", output_values: [1, 2, 3, 4, 5], output_manifest: EXAMPLE_MANIFEST } as ChildEvent,
  { kind: "heartbeat" } as ChildEvent,
].map((event, index) => ({
  event,
  attributes: { ...REPLAY_ATTRIBUTES, uuid: `a9de11b1-e88f-43fa-b3a4-40a590c344${String(index).padStart(2, "0")}` },
}));

/** Fixed generators for the attribute builders. */
export function fixedGenerators(uuids: readonly string[], now = new Date("2024-04-11T09:26:39.144Z")) {
  let next = 0;
  return {
    now: () => now,
    uuid: () => {
      const value = uuids[next % uuids.length];
      next += 1;
      if (value === undefined) throw new Error("no UUIDs given");
      return value;
    },
  };
}
