import { JobNetworkNotConfigured } from "../../shared/errors/index.js";
import type { HttpJobConnectionOptions } from "./http-job-connection.js";
import type { JobConnection } from "./job-connection.js";

export interface JobConnectionOptions {
  readonly questionUuid: string;
  /** The network's HTTP address (`--network`); beats `TWINED_NETWORK_URL`. */
  readonly networkUrl?: string | undefined;
  /** Retrying of the HTTP connection's requests (tests make it quick). */
  readonly http?: HttpJobConnectionOptions;
}

/**
 * Connects a job to its network, chosen from its environment: over HTTP when it has a network address
 * (`TWINED_NETWORK_URL` or `networkUrl`, with `TWINED_TOKEN` when that network requires one), else through Firestore and Pub/Sub when `GOOGLE_CLOUD_PROJECT` is set. The
 * question is read at once.
 * @throws JobNetworkNotConfigured when neither is set; QuestionNotFound for an unknown question; InvalidEvent for a
 *   stored question that breaks the protocol; InvalidDeploymentSetting for a malformed Google Cloud setting.
 */
export async function openJobConnection(
  env: Readonly<Record<string, string | undefined>>,
  options: JobConnectionOptions,
): Promise<JobConnection> {
  const networkUrl = nonEmpty(options.networkUrl) ?? nonEmpty(env.TWINED_NETWORK_URL);
  if (networkUrl !== undefined) {
    const { openHttpJobConnection } = await import("./http-job-connection.js");
    // `twined dev` reachable beyond loopback gives its jobs its token.
    const token = nonEmpty(env.TWINED_TOKEN);
    return openHttpJobConnection(networkUrl, options.questionUuid, {
      ...options.http,
      ...(token === undefined ? {} : { token }),
    });
  }
  if (nonEmpty(env.GOOGLE_CLOUD_PROJECT) !== undefined) {
    // Loaded only here: the Google client libraries take a while to load, and an HTTP job never needs them.
    const { openGoogleJobConnection, readJobCloudSettings } = await import("./google-job-connection.js");
    return openGoogleJobConnection(readJobCloudSettings(env), options.questionUuid);
  }
  throw new JobNetworkNotConfigured(options.questionUuid);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
