import type { Server } from "node:http";

/** Resolves once the server listens; rejects with why it cannot (the port in use, an address not on this machine). */
export function listening(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
}
