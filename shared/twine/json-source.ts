import { readFileSync } from "node:fs";
import type { SourceLocation } from "../errors/base.js";
import { JsonSyntaxError } from "../errors/index.js";
import {
  ConfigurationManifestFileNotFound,
  ConfigurationValuesFileNotFound,
  DuplicateKeyError,
  InputManifestFileNotFound,
  InputValuesFileNotFound,
  InvalidManifestJson,
  InvalidSourceKindException,
  InvalidTwineJson,
  InvalidValuesJson,
  OutputManifestFileNotFound,
  OutputValuesFileNotFound,
  type SourceKind,
  type StrandName,
  type TwineException,
  TwineFileNotFound,
} from "../errors/twine-errors.js";
import { parseJson } from "../json/index.js";
import { isManifestStrand } from "./strands.js";

/** What is being loaded: the twine itself, or the data of one strand. Chooses the error classes. */
export type LoadKind = "twine" | StrandName;

type Payload =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "text"; readonly text: string; readonly origin: string | undefined }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "file-like"; readonly contents: string | Uint8Array; readonly origin: string | undefined };

const SOURCE_KINDS: Readonly<Record<Payload["kind"], SourceKind>> = {
  value: "object",
  text: "string",
  file: "filename",
  "file-like": "file-like",
};

/**
 * Where some JSON comes from. Wrapping a string in a `JsonSource` says explicitly whether it is JSON text or a file
 * path, so parsed values (which may themselves be strings) are never mistaken for text to parse.
 */
export class JsonSource {
  private constructor(private readonly payload: Payload) {}

  /** Already-parsed JSON, used as is. */
  static value(value: unknown): JsonSource {
    return new JsonSource({ kind: "value", value });
  }

  /** JSON text to parse; `origin` names it in error locations. */
  static text(text: string, origin?: string): JsonSource {
    return new JsonSource({ kind: "text", text, origin });
  }

  /** A JSON file, read (synchronously, UTF-8) when the source is loaded. Relative paths resolve from the cwd. */
  static file(path: string): JsonSource {
    return new JsonSource({ kind: "file", path });
  }

  /** The contents of an already-opened file (Octue's "file-like" source), as bytes (UTF-8) or text. */
  static contents(contents: string | Uint8Array, origin?: string): JsonSource {
    return new JsonSource({ kind: "file-like", contents, origin });
  }

  /**
   * Interprets a value the way Octue interprets a source: a string ending in `.json` is a file path, any other string
   * is JSON text, bytes are file contents, and anything else is already-parsed JSON. `null`/`undefined` (no data)
   * give `undefined`.
   */
  static fromOctueSource(source: unknown): JsonSource | undefined {
    if (source === null || source === undefined) return undefined;
    if (source instanceof JsonSource) return source;
    if (typeof source === "string") return source.endsWith(".json") ? JsonSource.file(source) : JsonSource.text(source);
    if (source instanceof Uint8Array) return JsonSource.contents(source);
    return JsonSource.value(source);
  }

  /** Octue's name for this kind of source, as used by `InvalidSourceKindException`. */
  get sourceKind(): SourceKind {
    return SOURCE_KINDS[this.payload.kind];
  }

  /** The file this source reads, or the origin it was given, if any. */
  get origin(): string | undefined {
    return this.payload.kind === "value"
      ? undefined
      : this.payload.kind === "file"
        ? this.payload.path
        : this.payload.origin;
  }

  /**
   * Reads and parses the source.
   *
   * @throws the per-kind `…Json` error for broken JSON, the per-kind `…FileNotFound` for a missing file, and
   *   `DuplicateKeyError` for a repeated key.
   */
  load(kind: LoadKind, options: { allowedKinds?: ReadonlySet<SourceKind> } = {}): LoadedJson {
    if (options.allowedKinds !== undefined && !options.allowedKinds.has(this.sourceKind)) {
      throw new InvalidSourceKindException(this.sourceKind);
    }
    const payload = this.payload;
    switch (payload.kind) {
      case "value":
        return { value: payload.value };
      case "text":
        return parseFor(kind, payload.text, payload.origin);
      case "file-like": {
        const text = typeof payload.contents === "string" ? payload.contents : decodeUtf8(payload.contents);
        return parseFor(kind, text, payload.origin);
      }
      case "file":
        return parseFor(kind, readSourceFile(kind, payload.path), payload.path);
    }
  }
}

/** A loaded source: the value, plus the text it came from (kept so errors can point at a line and column). */
export interface LoadedJson {
  readonly value: unknown;
  readonly text?: string;
  readonly origin?: string;
}

/** Plain values are taken as already-parsed JSON; `null`/`undefined` mean there is no data. */
export function loadStrandData(data: unknown, kind: LoadKind): LoadedJson | undefined {
  if (data === null || data === undefined) return undefined;
  return data instanceof JsonSource ? data.load(kind) : { value: data };
}

/** The error for a source that is missing altogether. */
export function noDataSourceError(kind: LoadKind): TwineException {
  return jsonErrorFor(kind, `Cannot load ${kind} - no data source specified.`, {});
}

function parseFor(kind: LoadKind, text: string, origin: string | undefined): LoadedJson {
  try {
    const value = parseJson(text, origin === undefined ? {} : { origin });
    return origin === undefined ? { value, text } : { value, text, origin };
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw error;
    if (error instanceof JsonSyntaxError) {
      throw jsonErrorFor(kind, `Invalid ${kind} JSON${where(error.location)}: ${error.reason}`, {
        cause: error,
        location: error.location ?? {},
      });
    }
    throw error;
  }
}

function readSourceFile(kind: LoadKind, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) throw fileNotFoundError(kind, path, error);
    const reason = error instanceof Error ? error.message : String(error);
    throw jsonErrorFor(kind, `Cannot read ${kind} from ${path}: ${reason}`, { cause: error, location: { file: path } });
  }
}

function fileNotFoundError(kind: LoadKind, path: string, cause: unknown): TwineException {
  const options = { cause };
  switch (kind) {
    case "twine":
      return new TwineFileNotFound(path, options);
    case "configuration_values":
      return new ConfigurationValuesFileNotFound(path, { ...options, strand: kind });
    case "input_values":
      return new InputValuesFileNotFound(path, { ...options, strand: kind });
    case "output_values":
      return new OutputValuesFileNotFound(path, { ...options, strand: kind });
    case "configuration_manifest":
      return new ConfigurationManifestFileNotFound(path, { ...options, strand: kind });
    case "input_manifest":
      return new InputManifestFileNotFound(path, { ...options, strand: kind });
    case "output_manifest":
      return new OutputManifestFileNotFound(path, { ...options, strand: kind });
    default:
      // Octue has no file-not-found class for these strands (it fails with a bare KeyError); report it as a load error.
      return jsonErrorFor(kind, `[Errno 2] No such file or directory: '${path}'`, { cause, location: { file: path } });
  }
}

function jsonErrorFor(
  kind: LoadKind,
  message: string,
  options: { cause?: unknown; location?: SourceLocation },
): TwineException {
  if (kind === "twine") return new InvalidTwineJson(message, options);
  if (isManifestStrand(kind)) return new InvalidManifestJson(message, { ...options, strand: kind });
  return new InvalidValuesJson(message, { ...options, strand: kind });
}

function where(location: SourceLocation | undefined): string {
  if (location === undefined) return "";
  const file = location.file === undefined ? "" : ` in ${location.file}`;
  const line = location.line === undefined ? "" : ` at line ${location.line} column ${location.column ?? 1}`;
  return `${file}${line}`;
}

function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
