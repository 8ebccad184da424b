import { createReadStream } from "node:fs";
import { createRequire } from "node:module";

type Crc32c = (data: Buffer, initialState?: number) => number;

let loaded: Crc32c | undefined;

/**
 * The native CRC32C, loaded at its first use: a command that checksums nothing (most of them, `ask-local` included)
 * does not pay for loading an addon.
 */
function crc32c(data: Buffer, initialState?: number): number {
  loaded ??= (createRequire(import.meta.url)("@node-rs/crc32") as { crc32c: Crc32c }).crc32c;
  return loaded(data, initialState);
}

/** Cloud Storage's form of a CRC32C: base64 of the four big-endian bytes. */
export function crc32cText(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString("base64");
}

export function crc32cOf(data: Buffer | string): string {
  return crc32cText(crc32c(typeof data === "string" ? Buffer.from(data, "utf8") : data));
}

/** The CRC32C of a file's bytes, read as a stream (files may be larger than memory). */
export async function crc32cOfFile(path: string): Promise<string> {
  let state = 0;
  for await (const chunk of createReadStream(path)) state = crc32c(chunk as Buffer, state);
  return crc32cText(state);
}
