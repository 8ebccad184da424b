import { createReadStream } from "node:fs";
import { crc32c } from "@node-rs/crc32";

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
