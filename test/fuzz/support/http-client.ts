import http from "node:http";

export interface RawRequest {
  readonly method: string;
  /** Sent exactly as given (Node refuses only bytes outside 0x21–0xff). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The response was a live event stream, which was closed as soon as it began. */
  readonly streamed: boolean;
}

/** One keep-alive connection pool for all of a file's requests: thousands of requests, not thousands of handshakes. */
export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/**
 * Sends one request to 127.0.0.1 and reads the whole answer, except a live event stream, which is closed once it has
 * begun (it would stay open until its question ends). Rejects when no answer comes (a transport error or `timeoutMs`).
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = http.request(
      {
        host: "127.0.0.1",
        port,
        method: request.method,
        path: request.path,
        // Node frames a GET's body only when told its length; without it the body would be read as the next request.
        headers:
          request.body === undefined
            ? request.headers
            : { ...request.headers, "content-length": String(request.body.byteLength) },
        agent: keepAliveAgent,
        timeout: timeoutMs,
      },
      (response) => {
        answered = true;
        if (String(response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          response.destroy();
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.alloc(0),
            streamed: true,
          });
          return;
        }
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
            streamed: false,
          }),
        );
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on("error", (error) => {
      // A server that answers before reading a large body may close the connection while it is still being sent:
      // the answer counts, the broken pipe after it does not.
      if (!answered) reject(error);
    });
    outgoing.end(request.body);
  });
}
