import { NetworkClient } from "../../shared/client/index.js";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import {
  InvalidImageReference,
  InvalidServiceID,
  NetworkRequestFailed,
  ServiceConfigurationNotFound,
} from "../../shared/errors/index.js";
import { JsonSource, loadTwine } from "../../shared/twine/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { localIdentity } from "../run-service-question.js";
import type { NetworkOption } from "./network.js";

// The grammar of github.com/distribution/reference, which Docker, containerd and Kubernetes use.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Checks that `image` reads as an image reference, naming the part that does not.
 * @throws InvalidImageReference
 */
export function checkImageReference(image: string): void {
  if (image.trim() === "") throw new InvalidImageReference(image, "it is empty");
  if (/\s/.test(image)) throw new InvalidImageReference(image, "it contains white space");
  const [named = "", digest, ...more] = image.split("@");
  if (more.length > 0) throw new InvalidImageReference(image, "it has more than one '@'");
  if (digest !== undefined && !(DIGEST.test(digest) && (!digest.startsWith("sha256:") || SHA256_DIGEST.test(digest)))) {
    throw new InvalidImageReference(
      image,
      `the digest '${digest}' must be algorithm:hex, e.g. sha256: and 64 hex digits`,
    );
  }
  const lastSlash = named.lastIndexOf("/");
  const tagAt = named.indexOf(":", lastSlash + 1);
  const name = tagAt === -1 ? named : named.slice(0, tagAt);
  const tag = tagAt === -1 ? undefined : named.slice(tagAt + 1);
  if (tag !== undefined && !TAG.test(tag)) {
    throw new InvalidImageReference(
      image,
      `the tag '${tag}' must be at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
    );
  }
  if (name.length > 255) throw new InvalidImageReference(image, "the name is longer than 255 characters");
  const parts = name.split("/");
  const [first = ""] = parts;
  // As in Docker, the first part is a registry host when it looks like one (a dot, a port, or localhost).
  const hasHost = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasHost && !HOST.test(first)) throw new InvalidImageReference(image, `'${first}' is not a registry host`);
  const path = hasHost ? parts.slice(1) : parts;
  for (const component of path) {
    if (component === "") throw new InvalidImageReference(image, "the repository path has an empty part");
    if (component !== component.toLowerCase()) {
      throw new InvalidImageReference(image, `the repository path must be lowercase ('${component}' is not)`);
    }
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidImageReference(
        image,
        `'${component}' must be lowercase letters and digits, separated by '.', '_', '__' or dashes`,
      );
    }
  }
}

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
