import { describe, expect, it } from "vitest";
import { terminalLogger } from "../../../../../shared/adapters/embedded/terminal-log/index.js";

describe("terminalLogger", () => {
  it("writes each message as a line, a question's prefixed with the start of its UUID", () => {
    let text = "";
    const log = terminalLogger({ stream: { write: (chunk: string) => (text += chunk) } });
    log.info("Twined network listening");
    log.child({ question_uuid: "8b7c4e6f-1d2a-4f3b-9c8d-7e6f5a4b3c2d" }).error("first\nsecond");
    expect(text).toBe("Twined network listening\n[8b7c4e6f] first\n[8b7c4e6f] second\n");
  });
});
