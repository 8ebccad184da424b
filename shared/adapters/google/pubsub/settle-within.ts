export type Settlement =
  | { readonly outcome: "resolved" }
  | { readonly outcome: "rejected"; readonly error: unknown }
  | { readonly outcome: "timedOut" };

/**
 * Waits for `promise` for at most `timeoutMs`. The Google client's `close()` can hang indefinitely
 * (googleapis/google-cloud-node#8330), and shutting down must not, so callers give up waiting and carry on.
 */
export async function settleWithin(promise: Promise<unknown>, timeoutMs: number): Promise<Settlement> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Settlement>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: "timedOut" }), timeoutMs);
    // A hung close must not keep the process alive either.
    timer.unref();
  });
  const settled = promise.then(
    (): Settlement => ({ outcome: "resolved" }),
    (error: unknown): Settlement => ({ outcome: "rejected", error }),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
