import ora, { type Ora } from "ora";
import pc from "picocolors";
import type { QuestionStatus } from "../shared/questions/index.js";

type Stream = { write(text: string): unknown; isTTY?: boolean };

/**
 * The line under a question's logs that says where it is: a spinner with its status and elapsed time on a terminal,
 * a plain line per status change otherwise (logs, CI), so piped output stays readable.
 */
export class QuestionProgress {
  private readonly spinner: Ora | undefined;
  private readonly startedAt = Date.now();
  private label: string;
  private current: QuestionStatus | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Stream,
    serviceId: string,
  ) {
    this.label = serviceId;
    this.spinner =
      stream.isTTY === true
        ? ora({ stream: stream as NodeJS.WritableStream, text: `asking ${serviceId}`, discardStdin: false }).start()
        : undefined;
    if (this.spinner !== undefined) this.ticker = setInterval(() => this.render(), 1000);
  }

  asked(questionUuid: string, recipient: string): void {
    this.label = `${recipient} ${pc.dim(questionUuid)}`;
    this.render();
  }

  status(status: QuestionStatus): void {
    if (status === this.current) return;
    this.current = status;
    if (this.spinner === undefined) this.stream.write(`${pc.dim(`[${elapsed(this.startedAt)}] ${status}`)}\n`);
    this.render();
  }

  /** Writes something above the progress line without garbling it. */
  around(write: () => void): void {
    this.spinner?.clear();
    write();
    this.spinner?.render();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.spinner?.stop();
  }

  private render(): void {
    if (this.spinner === undefined) return;
    this.spinner.text = `${this.label} · ${this.current ?? "asking"} · ${elapsed(this.startedAt)}`;
  }
}

function elapsed(since: number): string {
  const seconds = Math.round((Date.now() - since) / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
