import { openFirestoreStores } from "../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import { topicNames } from "../../shared/control-plane/index.js";
import { InvalidDeploymentSetting, QuestionNotFound } from "../../shared/errors/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import { batchingEventSink } from "../../shared/ports/index.js";
import type { JobConnection } from "./job-connection.js";
import { jobQuestion } from "./job-question.js";

/**
 * How a job finds a network on Google Cloud, from the same variables the functions read (a job has no push secret
 * and launches nothing, so it needs only these).
 */
export interface JobCloudSettings {
  /** `GOOGLE_CLOUD_PROJECT`. */
  readonly projectId: string;
  /** `TWINED_ENVIRONMENT`; default `main`. */
  readonly environment: string;
  /** `TWINED_FIRESTORE_DATABASE`; default `(default)`. */
  readonly firestoreDatabase: string | undefined;
  /** `TWINED_FIRESTORE_COLLECTION_PREFIX`; default none. */
  readonly collectionPrefix: string | undefined;
  /** The services topic: `<environment>.octue.twined.services`, or `TWINED_SERVICES_TOPIC_NAME`. */
  readonly servicesTopic: string;
}

/** @throws InvalidDeploymentSetting naming a missing or malformed variable. */
export function readJobCloudSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): JobCloudSettings {
  const projectId = env.GOOGLE_CLOUD_PROJECT;
  if (projectId === undefined || projectId === "") {
    throw new InvalidDeploymentSetting("GOOGLE_CLOUD_PROJECT", "not set; set it to the Google Cloud project's id");
  }
  const environment = env.TWINED_ENVIRONMENT || "main";
  let servicesTopic: string;
  try {
    servicesTopic = topicNames(environment, env).services;
  } catch (error) {
    throw new InvalidDeploymentSetting("TWINED_ENVIRONMENT", error instanceof Error ? error.message : String(error));
  }
  return {
    projectId,
    environment,
    firestoreDatabase: env.TWINED_FIRESTORE_DATABASE || undefined,
    collectionPrefix: env.TWINED_FIRESTORE_COLLECTION_PREFIX || undefined,
    servicesTopic,
  };
}

/** A job's connection to a network on Google Cloud: the question from Firestore, events to the services topic. */
export async function openGoogleJobConnection(
  settings: JobCloudSettings,
  questionUuid: string,
): Promise<JobConnection> {
  const stores = openFirestoreStores({
    projectId: settings.projectId,
    ...definedProperties({ databaseId: settings.firestoreDatabase, collectionPrefix: settings.collectionPrefix }),
  });
  const bus = new PubSubEventBus({ projectId: settings.projectId });
  const close = async () => {
    await Promise.all([bus.close(), stores.close()]);
  };
  try {
    const record = await stores.questions.get(questionUuid);
    if (record === undefined) throw new QuestionNotFound(questionUuid);
    const question = jobQuestion({ event: record.question, attributes: record.attributes }, questionUuid);
    return {
      question,
      status: record.status,
      sink: batchingEventSink(bus, settings.servicesTopic),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
