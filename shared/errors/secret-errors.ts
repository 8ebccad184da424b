import { NonRetryableError, TwinedError } from "./base.js";

/** The role that lets a service account read a secret's versions (`secretmanager.versions.access`). */
export const SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor";

/** The canonical statuses under which Secret Manager refuses a read to its caller. */
export type SecretRefusal = "PERMISSION_DENIED" | "UNAUTHENTICATED";

/**
 * Secret Manager refused to read a secret to this caller: the job's service account may not access it, or the job
 * has no valid Google credentials. Carries the secret's name and project, never a value: the detail is the API's own
 * message, which names the resource and the permission.
 */
export class SecretUnreadable extends NonRetryableError {
  constructor(
    readonly secret: string,
    readonly project: string,
    readonly status: SecretRefusal,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      status === "PERMISSION_DENIED"
        ? `Secret Manager refused to read secret '${secret}' in project ${project}: permission denied (${detail}). Grant the job's service account ${SECRET_ACCESSOR_ROLE} on the secret, e.g. 'gcloud secrets add-iam-policy-binding ${secret} --project ${project} --member serviceAccount:<the job's service account> --role ${SECRET_ACCESSOR_ROLE}'.`
        : `Secret Manager refused to read secret '${secret}' in project ${project}: the job's Google credentials were not accepted (${detail}). Run the job as a service account (Application Default Credentials) that has ${SECRET_ACCESSOR_ROLE} on the secret.`,
      options,
    );
  }
}

/**
 * Any other failed read of a secret (unavailable, quota, a timeout, an answer whose checksum does not match): worth
 * retrying. Carries the secret's name, project and the canonical status when there is one, never a value.
 */
export class SecretSourceFailed extends TwinedError {
  constructor(
    readonly secret: string,
    readonly project: string,
    readonly status: string | undefined,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Could not read secret '${secret}' in project ${project}: ${status ?? "error"}: ${detail}`, options);
  }
}
