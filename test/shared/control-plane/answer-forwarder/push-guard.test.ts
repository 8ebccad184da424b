import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AnswerForwarder } from "../../../../shared/control-plane/answer-forwarder/handler.js";
import type { PushRequest, PushSender } from "../../../../shared/control-plane/answer-forwarder/push-sender.js";
import { PushEndpointGuard } from "../../../../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import { type PushReceiver, questionPushingTo, startPushReceiver } from "../../../support/push-receivers.js";

/**
 * Every receiver here listens on 127.0.0.1, and every name resolves through a table to 127.0.0.1: even a broken guard
 * can only ever reach this machine's loopback.
 */
const receivers: PushReceiver[] = [];
const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const each of [...receivers.splice(0), ...closing.splice(0)]) await each.close();
});

async function receiver(options: Parameters<typeof startPushReceiver>[0] = {}): Promise<PushReceiver> {
  const started = await startPushReceiver(options);
  receivers.push(started);
  return started;
}

/** Resolves every name to 127.0.0.1, counting what it was asked. */
function loopbackResolver() {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (host: string): Promise<readonly string[]> => {
      asked.push(host);
      return ["127.0.0.1"];
    },
  };
}

async function forwarding(
  endpoint: string,
  guard: PushEndpointGuard,
  options: { send?: PushSender; retries?: number; timeoutMs?: number } = {},
) {
  const question = await questionPushingTo(endpoint);
  closing.push(question.stores);
  const failures: string[] = [];
  const forwarder = new AnswerForwarder({
    questions: question.stores.questions,
    pushSecret: "network-secret",
    pushEndpoints: guard,
    pushRetries: { retries: options.retries ?? 2, firstDelayMs: 5 },
    onPushFailure: (_uuid, reason) => failures.push(reason),
    ...(options.send === undefined ? {} : { send: options.send }),
    ...(options.timeoutMs === undefined ? {} : { pushTimeoutMs: options.timeoutMs }),
  });
  return { forwarder, failures, message: question.message };
}

describe("the answer forwarder's push guard", () => {
  it("refuses, opening no connection, a name that resolves to loopback on a network that does not allow it", async () => {
    const target = await receiver();
    const dns = loopbackResolver();
    const guard = new PushEndpointGuard({ allowLoopback: false, resolve: dns.resolve });
    const { forwarder, failures, message } = await forwarding(`https://receiver.test:${target.port}/hook`, guard);
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^push to https:\/\/receiver\.test:\d+ failed: push_endpoint https:\/\/receiver\.test:\d+ resolves to 127\.0\.0\.1, a loopback address/,
    );
    expect(target.connections()).toBe(0);
    // Resolved once, at send time, and not retried: asking again cannot change the answer.
    expect(dns.asked).toEqual(["receiver.test"]);
  });

  it("refuses, opening no connection, an endpoint naming a loopback address, or plain http, in the cloud", async () => {
    const target = await receiver();
    const guard = new PushEndpointGuard({ allowLoopback: false, resolve: loopbackResolver().resolve });
    for (const endpoint of [
      `https://127.0.0.1:${target.port}/hook`,
      `https://2130706433:${target.port}/hook`,
      `https://[::ffff:7f00:1]:${target.port}/hook`,
      `http://receiver.test:${target.port}/hook`,
    ]) {
      const { forwarder, failures, message } = await forwarding(endpoint, guard);
      await forwarder.handle(message({ kind: "heartbeat" }));
      expect(failures[0], endpoint).toMatch(/a loopback address|must use https/);
    }
    expect(target.connections()).toBe(0);
  });

  it("never follows a redirect: the push fails at once, reported, and the place it points to sees nothing", async () => {
    const elsewhere = await receiver();
    const redirecting = await receiver({
      respond: () => ({ status: 302, headers: { location: elsewhere.url("/internal") } }),
    });
    const guard = new PushEndpointGuard({ allowLoopback: true, resolve: loopbackResolver().resolve });
    const { forwarder, failures, message } = await forwarding(redirecting.url(), guard);
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(redirecting.received).toHaveLength(1);
    expect(elsewhere.connections()).toBe(0);
    expect(failures).toEqual([
      `push to http://127.0.0.1:${redirecting.port} failed: HTTP 302: redirects to ${elsewhere.url("/internal")} are not followed; give the final URL as push_endpoint`,
    ]);
  });

  it("pushes signed events to a loopback receiver on an embedded network, connecting to the address it checked", async () => {
    const target = await receiver();
    const dns = loopbackResolver();
    const guard = new PushEndpointGuard({ allowLoopback: true, resolve: dns.resolve });
    const { forwarder, failures, message } = await forwarding(`http://receiver.test:${target.port}/hook?q=1`, guard);
    await forwarder.handle(message({ kind: "delivery_acknowledgement" }));
    await forwarder.handle(message({ kind: "result", output_values: { answer: 42 } }));
    expect(failures).toEqual([]);
    expect(target.received.map((each) => JSON.parse(each.body).event.kind)).toEqual([
      "delivery_acknowledgement",
      "result",
    ]);
    for (const push of target.received) {
      expect(push.signature).toBe(`sha256=${createHmac("sha256", "network-secret").update(push.body).digest("hex")}`);
      // The name the asker gave, sent to the address the guard resolved it to.
      expect(push.host).toBe(`receiver.test:${target.port}`);
      expect(push.path).toBe("/hook?q=1");
    }
    expect(dns.asked).toEqual(["receiver.test", "receiver.test"]);
  });

  it("retries a name that does not resolve, then reports it", async () => {
    const asked: string[] = [];
    const guard = new PushEndpointGuard({
      allowLoopback: true,
      resolve: async (host) => {
        asked.push(host);
        throw Object.assign(new Error(`getaddrinfo EAI_AGAIN ${host}`), { code: "EAI_AGAIN" });
      },
    });
    const { forwarder, failures, message } = await forwarding("https://flaky.test/hook", guard);
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(asked).toHaveLength(3);
    expect(failures[0]).toMatch(/its host flaky\.test does not resolve to any address \(EAI_AGAIN\)/);
  });

  it("gives up on a receiver that does not answer in time", async () => {
    const silent = await receiver({ respond: () => undefined });
    const guard = new PushEndpointGuard({ allowLoopback: true, resolve: loopbackResolver().resolve });
    const { forwarder, failures, message } = await forwarding(silent.url(), guard, { retries: 0, timeoutMs: 200 });
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(failures[0]).toMatch(/failed: no response within 0\.2 s$/);
  });
});

describe("the answer forwarder's retries", () => {
  /** A sender answering with the given statuses (or errors) in turn, recording what it was given. */
  function scripted(outcomes: (number | Error)[]) {
    const requests: PushRequest[] = [];
    const send: PushSender = async (request) => {
      requests.push(request);
      const outcome = outcomes.shift() ?? 200;
      if (outcome instanceof Error) throw outcome;
      return { status: outcome, location: undefined };
    };
    return { send, requests };
  }
  const guard = new PushEndpointGuard({ allowLoopback: false, resolve: async () => ["93.184.216.34"] });

  it("retries server errors, rate limiting and network failures", async () => {
    const sender = scripted([503, 429, Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), 204]);
    const { forwarder, failures, message } = await forwarding("https://hooks.receiver.test/x", guard, {
      send: sender.send,
      retries: 3,
    });
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(sender.requests).toHaveLength(4);
    expect(failures).toEqual([]);
    const [first] = sender.requests;
    expect(first?.url.href).toBe("https://hooks.receiver.test/x");
    expect(first?.host).toBe("hooks.receiver.test");
    expect(first?.headers["content-type"]).toBe("application/json");
    expect(first?.timeoutMs).toBe(10_000);
  });

  it.each([
    [400, "HTTP 400"],
    [404, "HTTP 404"],
    [301, "HTTP 301: redirects are not followed"],
    [307, "HTTP 307: redirects are not followed"],
  ])("gives up at once on HTTP %i", async (status, reason) => {
    const sender = scripted([status]);
    const { forwarder, failures, message } = await forwarding("https://hooks.receiver.test/x", guard, {
      send: sender.send,
    });
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(sender.requests).toHaveLength(1);
    expect(failures[0]).toContain(`push to https://hooks.receiver.test failed: ${reason}`);
  });

  it("sends nothing for an endpoint refused before resolving", async () => {
    const sender = scripted([]);
    const { forwarder, failures, message } = await forwarding("https://user:pw@hooks.receiver.test/x", guard, {
      send: sender.send,
    });
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(sender.requests).toHaveLength(0);
    expect(failures[0]).toMatch(/must not carry credentials/);
    expect(failures[0]).not.toContain("pw");
  });
});
