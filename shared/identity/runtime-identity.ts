import { generateRevisionTag } from "./generated-names.js";
import { formatServiceId, type ServiceRevisionId } from "./service-id.js";

export interface RuntimeIdentityInputs {
  /** Namespace and name from octue.yaml. */
  readonly configuration: { readonly namespace: string; readonly name: string };
  /** Usually `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The `--revision-tag` flag, which beats everything else. */
  readonly revisionTagOption?: string | undefined;
  readonly onWarning?: (message: string) => void;
  readonly generateTag?: () => string;
}

export interface RuntimeIdentity extends ServiceRevisionId {
  readonly sruid: string;
  /** Where the tag came from, so logs can say why a service answers under a given tag. */
  readonly revisionTagSource: "option" | "environment" | "generated";
}

/**
 * The SRUID a running service answers as. Namespace and name: `OCTUE_SERVICE_NAMESPACE` / `OCTUE_SERVICE_NAME` over
 * octue.yaml (with a warning when they differ). Tag: the `--revision-tag` option, then `OCTUE_SERVICE_REVISION_TAG`,
 * then a generated two-word tag.
 */
export function resolveRuntimeIdentity(inputs: RuntimeIdentityInputs): RuntimeIdentity {
  const env = inputs.env ?? {};
  const warn = inputs.onWarning ?? (() => {});
  const namespace = preferEnvironment("namespace", env.OCTUE_SERVICE_NAMESPACE, inputs.configuration.namespace, warn);
  const name = preferEnvironment("name", env.OCTUE_SERVICE_NAME, inputs.configuration.name, warn);

  let revisionTag: string;
  let revisionTagSource: RuntimeIdentity["revisionTagSource"];
  if (nonEmpty(inputs.revisionTagOption)) {
    revisionTag = inputs.revisionTagOption;
    revisionTagSource = "option";
  } else if (nonEmpty(env.OCTUE_SERVICE_REVISION_TAG)) {
    revisionTag = env.OCTUE_SERVICE_REVISION_TAG;
    revisionTagSource = "environment";
  } else {
    revisionTag = (inputs.generateTag ?? generateRevisionTag)();
    revisionTagSource = "generated";
  }
  const sruid = formatServiceId({ namespace, name, revisionTag });
  return { namespace, name, revisionTag, revisionTagSource, sruid };
}

function preferEnvironment(
  part: "namespace" | "name",
  fromEnvironment: string | undefined,
  fromConfiguration: string,
  warn: (message: string) => void,
): string {
  if (!nonEmpty(fromEnvironment)) return fromConfiguration;
  if (fromEnvironment !== fromConfiguration) {
    const variable = part === "namespace" ? "OCTUE_SERVICE_NAMESPACE" : "OCTUE_SERVICE_NAME";
    warn(
      `The service ${part} '${fromConfiguration}' from the service configuration is overridden by ${variable}='${fromEnvironment}'.`,
    );
  }
  return fromEnvironment;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}
