export interface WaitForOptions {
  /** Give up after this long; defaults to 5 s. */
  readonly timeoutMs?: number;
  /** Time between checks; defaults to 2 ms. */
  readonly intervalMs?: number;
  /** What was awaited, for the timeout error; a function is called only on timeout, so it can describe the state. */
  readonly description?: string | (() => string);
}

/**
 * Resolves as soon as `condition` holds, checking it now and then every `intervalMs`; rejects after `timeoutMs`.
 * Use it instead of sleeping a fixed time: tests stay fast when things are quick and do not flake when they are slow.
 * A condition that throws is treated as not holding yet; the last error is attached as the timeout's cause.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 2;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const description = typeof options.description === "function" ? options.description() : options.description;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description ?? "a condition"}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

/** A promise settled from outside, to hold a handler until the test lets it go. */
export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
