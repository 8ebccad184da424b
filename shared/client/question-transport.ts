import type { DatasetSettings, FollowUpdate, QuestionSummary } from "./network-client.js";

/**
 * How a `Child` reaches a network: over its HTTP API (`NetworkClient`), or over Pub/Sub as Octue's parents do
 * (`PubSubTransport`).
 */
export interface QuestionTransport {
  /** Sends a `POST /questions`-shaped request; resolves once the network (or the bus) has the question. */
  ask(body: Record<string, unknown>): Promise<QuestionSummary>;
  /** The question's events after sequence `after`, and its status changes where known, until its final event. */
  follow(questionUuid: string, after?: number, signal?: AbortSignal): AsyncGenerator<FollowUpdate>;
  question(questionUuid: string): Promise<QuestionSummary>;
  cancel(questionUuid: string, reason?: string): Promise<QuestionSummary>;
  /**
   * What the network says about datasets: whether its jobs can read this machine's paths, and where to upload those
   * they cannot. Undefined when the transport cannot ask (Pub/Sub).
   */
  datasetSettings?(): Promise<DatasetSettings | undefined>;
}
