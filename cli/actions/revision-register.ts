import { NetworkClient } from "../../shared/client/index.js";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import {
  InvalidImageReference,
  InvalidServiceID,
  NetworkRequestFailed,
  ServiceConfigurationNotFound,
} from "../../shared/errors/index.js";
import { checkImageReference } from "../../shared/identity/index.js";
import { JsonSource, loadTwine } from "../../shared/twine/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { localIdentity } from "../run-service-question.js";
import type { NetworkOption } from "./network.js";

export interface RevisionRegisterOptions extends NetworkOption {
  image: string;
  tag: string;
  default?: boolean;
  serviceConfig?: string;
}

/**
 * `twined revision register`: registers the service in this folder as a revision whose jobs run `image`, after
 * checking the image reference, the tag and the twine here, before any request.
 */
export async function registerImageRevision(
  options: RevisionRegisterOptions,
  output: CliOutput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let sruid: string;
  let namespace: string;
  let name: string;
  let twine: Record<string, unknown>;
  try {
    checkImageReference(options.image);
    const loaded = loadServiceConfiguration(options.serviceConfig);
    ({ sruid, namespace, name } = localIdentity(loaded, options.tag, output));
    twine = loadTwine(JsonSource.file(loaded.configuration.twinePath), {
      onWarning: (message) => output.stderr.write(`warning: ${message}\n`),
    }).raw;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    const usage =
      error instanceof InvalidImageReference ||
      error instanceof InvalidServiceID ||
      error instanceof ServiceConfigurationNotFound;
    return usage ? EXIT.usage : EXIT.invalid;
  }

  const client = new NetworkClient(options.network, env.TWINED_ID_TOKEN ? { identityToken: env.TWINED_ID_TOKEN } : {});
  let created: boolean;
  try {
    ({ created } = await client.registerRevision(namespace, name, options.tag, {
      twine,
      source: { kind: "image", image: options.image },
      default: options.default === true,
    }));
  } catch (error) {
    if (!(error instanceof NetworkRequestFailed)) throw error;
    output.stderr.write(`${describeError(error)}\n`);
    // No status: the network could not be reached at all.
    if (error.status === undefined) return EXIT.usage;
    if (error.status === 401 || error.status === 403) {
      output.stderr.write(
        "The registry wants an identity token: set TWINED_ID_TOKEN (e.g. to `gcloud auth print-identity-token`).\n",
      );
    }
    return EXIT.invalid;
  }
  output.stdout.write(`${sruid}\n`);
  const made = created ? "Registered" : "Updated";
  const asDefault = options.default === true ? `; it is now the default revision of ${namespace}/${name}` : "";
  output.stderr.write(`${made} ${sruid}: its jobs run ${options.image}${asDefault}.\n`);
  return EXIT.ok;
}
