import type { JobPhase, JobSpec, ObservableJobLauncher } from "../shared/ports/index.js";

/**
 * A launcher built at its first use. The Kubernetes and Cloud Run clients take seconds to load, and of a network's
 * functions only the launcher and the reconciler need them: the others should not pay for it at every cold start.
 */
export class DeferredJobLauncher implements ObservableJobLauncher {
  private loading: Promise<ObservableJobLauncher> | undefined;
  private loaded: ObservableJobLauncher | undefined;

  constructor(private readonly load: () => Promise<ObservableJobLauncher>) {}

  private launcher(): Promise<ObservableJobLauncher> {
    if (this.loading === undefined) {
      const loading = this.load().then((launcher) => {
        this.loaded = launcher;
        return launcher;
      });
      // A failed load (a bad setting) is not kept: the next call tries again and reports it again.
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  async launch(spec: JobSpec): Promise<{ readonly launched: boolean }> {
    return (await this.launcher()).launch(spec);
  }

  async cancel(questionUuid: string, reason?: string): Promise<boolean> {
    return (await this.launcher()).cancel(questionUuid, reason);
  }

  phase(questionUuid: string): JobPhase | undefined {
    return this.loaded?.phase(questionUuid);
  }

  async observeJobs() {
    return (await this.launcher()).observeJobs();
  }

  async release(questionUuid: string): Promise<boolean> {
    return (await (await this.launcher()).release?.(questionUuid)) ?? false;
  }

  async close(): Promise<void> {
    const launcher = this.loaded ?? (await this.loading?.catch(() => undefined));
    await launcher?.close();
  }
}
