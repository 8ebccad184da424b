import { type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** Node's own limit on a request's headers, in bytes (`--max-http-header-size`), which servers here keep. */
const HEADER_BYTES = 16 * 1024;

/**
 * Answers requests Node cannot parse (headers over its limit, broken HTTP) with the JSON error every other refusal
 * has, instead of Node's bare status line: an asker's tooling reads one error shape whatever went wrong.
 */
export function answerMalformedRequestsAsJson(server: Server): void {
  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      error: tooLarge
        ? {
            type: "RequestLimitExceeded",
            message: `the request's headers are over the limit of ${HEADER_BYTES} bytes; send fewer or shorter headers`,
            details: { limit: "header_bytes", maximum: HEADER_BYTES },
          }
        : { type: "MalformedRequest", message: "the request is not well-formed HTTP/1.1", details: {} },
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
