import { createReadStream } from "node:fs";
import { type Request, type Response, Router } from "express";
import { SignedUrlRejected, StorageObjectNotFound } from "../../errors/index.js";
import type { SignedObjectReader, StoredObject } from "../../ports/index.js";

/**
 * `GET|HEAD /storage/<bucket>/<name>?expires=…&signature=…`: the objects an embedded network's storage signed URLs
 * for, answered as Cloud Storage answers its own signed URLs: the bytes, `Content-Length`, `x-goog-hash: crc32c=…` and
 * the custom metadata as `x-goog-meta-*` headers. A refused URL gets Cloud Storage's XML error body.
 */
export function signedStorageRoutes(reader: SignedObjectReader): Router {
  const router = Router();
  const serve = async (request: Request, response: Response) => {
    let found: Awaited<ReturnType<SignedObjectReader["readSigned"]>>;
    try {
      found = await reader.readSigned(request.originalUrl);
    } catch (error) {
      if (error instanceof SignedUrlRejected) return refuse(response, 400, "ExpiredToken", error.message);
      if (error instanceof StorageObjectNotFound) return refuse(response, 404, "NoSuchKey", error.message);
      throw error;
    }
    response.set(headersOf(found.object));
    if (request.method === "HEAD") {
      response.status(200).end();
      return;
    }
    response.status(200);
    await new Promise<void>((resolve, reject) => {
      createReadStream(found.file).on("error", reject).pipe(response).on("finish", resolve).on("error", reject);
    });
  };
  router.get("/*path", serve);
  router.head("/*path", serve);
  return router;
}

function headersOf(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    "content-length": String(object.size),
    "content-type": object.contentType ?? "application/octet-stream",
    "x-goog-hash": `crc32c=${object.crc32c}`,
    "last-modified": new Date(object.updated).toUTCString(),
  };
  for (const [key, value] of Object.entries(object.metadata))
    headers[`x-goog-meta-${key.toLowerCase()}`] = asciiOnly(value);
  return headers;
}

/** Header values must be ASCII; Octue's metadata values are JSON, where `\uXXXX` stands for the same character. */
function asciiOnly(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function refuse(response: Response, status: number, code: string, message: string): void {
  const escaped = message.replace(/[<>&]/g, (character) => `&#${character.charCodeAt(0)};`);
  response
    .status(status)
    .type("application/xml")
    .send(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${escaped}</Message></Error>`);
}
