import { InvalidImageReference } from "../errors/index.js";

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
