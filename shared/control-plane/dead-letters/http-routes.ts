import { Router } from "express";
import { InvalidDeadLetterRequest } from "../../errors/index.js";
import { isPlainObject, jsonPointer } from "../../json/index.js";
import type { DeadLetterRecord } from "../../ports/index.js";
import type { DeadLetterKeeper, ReplaySelection } from "./handler.js";

/** The most dead letters one listing returns. */
const MAX_LIST_LIMIT = 1000;

/** The most dead letters one replay may name. */
const MAX_REPLAY_IDS = 1000;

/** How much of each dead letter's data a listing shows; `GET /dead-letters/{id}` shows all of it. */
const LISTED_DATA_BYTES = 16 * 1024;

/**
 * `/dead-letters`: `GET /?limit=&pending=` lists them newest first (`pending=true` only those not yet replayed),
 * `GET /{id}` shows one whole, `POST /replay` with `{"ids": [...]}` or `{"all": true}` sends them again.
 */
export function deadLetterRoutes(keeper: DeadLetterKeeper): Router {
  const router = Router();

  router.get("/", async (request, response) => {
    const limit = limitOf(request.query.limit);
    const pendingOnly = flagOf(request.query.pending, "pending");
    const letters = await keeper.list({ limit, pendingOnly });
    response.json({ dead_letters: letters.map((letter) => toJson(letter, LISTED_DATA_BYTES)) });
  });

  router.get("/:id", async (request, response) => {
    response.json(toJson(await keeper.get(request.params.id), Number.POSITIVE_INFINITY));
  });

  router.post("/replay", async (request, response) => {
    const report = await keeper.replay(replaySelection(request.body));
    response.json({
      replayed: report.replayed,
      already_replayed: report.alreadyReplayed,
      skipped: report.skipped,
    });
  });

  return router;
}

/** A dead letter as the API shows it (snake_case, like the rest of the protocol), its data as text when it is UTF-8. */
function toJson(letter: DeadLetterRecord, dataBytes: number) {
  const shown = letter.data.subarray(0, dataBytes);
  const text = utf8Text(shown, shown.byteLength < letter.data.byteLength);
  const isText = text !== undefined;
  return {
    id: letter.id,
    reason: letter.reason,
    topic: letter.topic ?? null,
    first_seen_at: letter.firstSeenAt,
    attempts: letter.attempts,
    question_uuid: letter.questionUuid ?? null,
    attributes: letter.attributes,
    data: text ?? shown.toString("base64"),
    data_encoding: isText ? "utf-8" : "base64",
    data_size: letter.data.byteLength,
    data_truncated: shown.byteLength < letter.data.byteLength,
    replayed_at: letter.replayedAt ?? null,
  };
}

/**
 * The bytes as text when they are UTF-8; a cut-off part may end inside a character, whose first bytes are left out
 * rather than showing all of it as base64.
 */
function utf8Text(bytes: Buffer, cutOff: boolean): string | undefined {
  for (let dropped = 0; dropped <= (cutOff ? 3 : 0); dropped++) {
    const part = bytes.subarray(0, bytes.byteLength - dropped);
    const text = part.toString("utf8");
    if (Buffer.from(text, "utf8").equals(part)) return text;
  }
  return undefined;
}

function limitOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const limit = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit <= MAX_LIST_LIMIT)) {
    throw new InvalidDeadLetterRequest(
      `limit must be a whole number from 0 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(value)}`,
      { pointer: "/limit" },
    );
  }
  return limit;
}

function flagOf(value: unknown, name: string): boolean {
  if (value === undefined || value === "false" || value === "0") return false;
  if (value === "true" || value === "1" || value === "") return true;
  throw new InvalidDeadLetterRequest(`${name} must be true or false, got ${JSON.stringify(value)}`, {
    pointer: `/${name}`,
  });
}

/** `{"ids": ["…", …]}` or `{"all": true}`, and nothing else. */
function replaySelection(body: unknown): ReplaySelection {
  const usage = 'send {"ids": ["<dead letter ID>", …]} or {"all": true}';
  if (!isPlainObject(body))
    throw new InvalidDeadLetterRequest(`the body must be a JSON object: ${usage}`, { pointer: "" });
  const unknown = Object.keys(body).find((key) => key !== "ids" && key !== "all");
  if (unknown !== undefined) {
    throw new InvalidDeadLetterRequest(`unknown field ${JSON.stringify(unknown)}: ${usage}`, {
      pointer: jsonPointer([unknown]),
    });
  }
  const namesIds = "ids" in body;
  const namesAll = "all" in body;
  if (namesIds === namesAll) {
    throw new InvalidDeadLetterRequest(`give ids or all, one of them: ${usage}`, { pointer: "" });
  }
  if (namesAll) {
    if (body.all !== true) throw new InvalidDeadLetterRequest(`all must be true: ${usage}`, { pointer: "/all" });
    return { all: true };
  }
  const ids = body.ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REPLAY_IDS) {
    throw new InvalidDeadLetterRequest(`ids must list 1 to ${MAX_REPLAY_IDS} dead letter IDs: ${usage}`, {
      pointer: "/ids",
    });
  }
  for (const [index, id] of ids.entries()) {
    if (typeof id !== "string" || id === "") {
      throw new InvalidDeadLetterRequest(`each dead letter ID must be non-empty text: ${usage}`, {
        pointer: `/ids/${index}`,
      });
    }
  }
  return { ids: ids as string[] };
}
