/**
 * Tells a reader of a question (a live event stream) that it may have changed, so that it need not poll the store
 * in a tight loop. A hint only: readers still read the store, and still poll now and then.
 */
export interface QuestionChanges {
  /** Resolves when the question next records an event or changes status, or after `timeoutMs`, whichever is first. */
  next(questionUuid: string, timeoutMs: number): Promise<void>;
}
