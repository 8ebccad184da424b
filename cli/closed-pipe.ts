/**
 * The exit status of a command whose output was closed under it (`twined question events get … | head -1`): 128 +
 * SIGPIPE (13), what a shell reports for git, cat or any C program killed by SIGPIPE in the same place. Node ignores
 * SIGPIPE, so the write fails with EPIPE instead and this status says the same thing.
 */
export const CLOSED_PIPE_STATUS = 141;

/** True for the errors a write to a pipe or terminal whose reader has gone away fails with. */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "EIO";
}

/**
 * Ends the process quietly when stdout or stderr is closed by its reader, instead of Node's unhandled 'error' event
 * and its stack trace. Nothing is printed: the reader that would see it has gone, as with `git log | head -1`.
 *
 * A command still running then stops: one that cleans up on SIGTERM (a running app, a served revision) gets that
 * signal, so it stops as it would on SIGTERM; any other ends at once. Returns whether a closed pipe was seen, for the
 * exit status of a command that ends on its own.
 */
export function endQuietlyOnClosedOutput(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
  processLike: Pick<NodeJS.Process, "exit" | "kill" | "listenerCount" | "pid"> = process,
): () => boolean {
  let closed = false;
  const onError = (error: unknown) => {
    // Any failure of the standard streams leaves nowhere to report it; only a closed reader is expected.
    const status = isClosedOutput(error) ? CLOSED_PIPE_STATUS : 1;
    if (closed) return;
    closed = true;
    if (processLike.listenerCount("SIGTERM") > 0) processLike.kill(processLike.pid, "SIGTERM");
    else processLike.exit(status);
  };
  for (const stream of streams) stream.on("error", onError);
  return () => closed;
}
