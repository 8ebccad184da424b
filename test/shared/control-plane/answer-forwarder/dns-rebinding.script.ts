/**
 * Run by dns-rebinding.test.ts inside a network namespace of its own (`unshare --net`), whose only interface is
 * loopback, with 10.0.0.1 and 169.254.169.254 added to it: a push the guard wrongly lets through lands on a trap here
 * and is counted, and nothing can leave the machine whatever the guard does. Prints one JSON line: what happened.
 *
 * A question is asked with a push endpoint whose name resolves to a public address; when its event is pushed, the
 * same name resolves to a private address or the metadata server's (DNS rebinding).
 */
import type { LookupFunction } from "node:net";
import { networkInterfaces } from "node:os";
import { InMemoryEventBus } from "../../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { openSqliteStores } from "../../../../shared/adapters/embedded/sqlite/index.js";
import { AnswerForwarder } from "../../../../shared/control-plane/answer-forwarder/handler.js";
import { topicNames } from "../../../../shared/control-plane/index.js";
import { PushEndpointGuard } from "../../../../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import type { PushTarget } from "../../../../shared/control-plane/push-endpoints/push-endpoint-policy.js";
import { QuestionIntake } from "../../../../shared/control-plane/question-intake/handler.js";
import { deriveResponseAttributes, encodeEvent, renewEventIdentity } from "../../../../shared/events/index.js";
import { startPushReceiver } from "../../../support/push-receivers.js";

export interface RebindingReport {
  readonly scenarios: readonly {
    readonly rebindTo: string;
    /** Whether the intake accepted the question (its name resolved to a public address then). */
    readonly accepted: boolean;
    /** Every answer the resolver gave for the endpoint's name, in turn. */
    readonly resolutions: readonly string[];
    /** What each lookup of a push's connection gave the socket: an error (no connection) or addresses. */
    readonly lookups: readonly { readonly error?: string; readonly addresses?: unknown }[];
    readonly failures: readonly string[];
  }[];
  /** Connections that reached a trap (a push that went where it must not). */
  readonly trapConnections: Readonly<Record<string, number>>;
}

const HOST = "hooks.rebind.test";
const TRAPS = ["10.0.0.1", "169.254.169.254"];

async function main(): Promise<RebindingReport> {
  const interfaces = Object.keys(networkInterfaces());
  if (interfaces.some((name) => name !== "lo")) {
    throw new Error(`not in an isolated network namespace: interfaces ${interfaces.join(", ")}`);
  }
  const [first, ...others] = TRAPS;
  const firstTrap = await startPushReceiver({ address: first ?? "" });
  const traps = [
    { address: first ?? "", receiver: firstTrap },
    ...(await Promise.all(
      others.map(async (address) => ({
        address,
        receiver: await startPushReceiver({ address, port: firstTrap.port }),
      })),
    )),
  ];
  const stores = openSqliteStores(":memory:");
  const bus = new InMemoryEventBus();
  const topics = topicNames("rebinding");
  for (const topic of Object.values(topics)) await bus.ensureTopic(topic);
  await stores.revisions.register(
    { namespace: "tests", name: "receiver", revisionTag: "1.0.0", twine: {}, source: { kind: "image", image: "x" } },
    { makeDefault: true },
  );

  const scenarios: RebindingReport["scenarios"][number][] = [];
  for (const rebindTo of TRAPS) {
    const resolutions: string[] = [];
    const lookups: { error?: string; addresses?: unknown }[] = [];
    // Public when the question is asked, then rebound for every push.
    const guard = new PushEndpointGuard({
      allowLoopback: false,
      resolve: async (host) => {
        const answer = resolutions.length === 0 ? "93.184.216.34" : rebindTo;
        resolutions.push(host === HOST ? answer : `unexpected host ${host}`);
        return [answer];
      },
    });
    const lookup = guard.lookup.bind(guard);
    guard.lookup = (target: PushTarget): LookupFunction => {
      const inner = lookup(target);
      return (hostname, options, callback) =>
        inner(hostname, options, (error, addresses, family) => {
          lookups.push(error === null ? { addresses } : { error: error.message });
          callback(error, addresses, family);
        });
    };
    const intake = new QuestionIntake({
      questions: stores.questions,
      revisions: stores.revisions,
      bus,
      topics,
      pushEndpoints: guard,
    });
    const question = await intake.ask({
      recipient: "tests/receiver",
      input_values: {},
      push_endpoint: `https://${HOST}:${firstTrap.port}/hook`,
    });
    await stores.questions.transition(question.questionUuid, "validated");
    await stores.questions.transition(question.questionUuid, "dispatched");
    const failures: string[] = [];
    const forwarder = new AnswerForwarder({
      questions: stores.questions,
      pushSecret: "network-secret",
      pushEndpoints: guard,
      pushRetries: { retries: 2, firstDelayMs: 5 },
      pushTimeoutMs: 2_000,
      onPushFailure: (_uuid, reason) => failures.push(reason),
    });
    const encoded = encodeEvent({
      event: { kind: "heartbeat" },
      attributes: { ...renewEventIdentity(deriveResponseAttributes(question.attributes)), order: 0 },
    } as never);
    await forwarder.handle({
      id: "1",
      data: encoded.data,
      attributes: encoded.attributes,
      orderingKey: encoded.orderingKey,
      publishTime: new Date(),
      deliveryAttempt: 1,
    });
    scenarios.push({ rebindTo, accepted: question.pushEndpoint !== undefined, resolutions, lookups, failures });
  }
  const trapConnections = Object.fromEntries(traps.map((trap) => [trap.address, trap.receiver.connections()]));
  for (const trap of traps) await trap.receiver.close();
  await bus.close();
  await stores.close();
  return { scenarios, trapConnections };
}

main().then(
  (report) => {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) })}\n`,
    );
    process.exit(1);
  },
);
