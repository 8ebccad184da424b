import {
  Composer,
  CST,
  type Document,
  type ErrorCode,
  type LineCounter,
  Parser,
  type YAMLError,
  YAMLParseError,
} from "yaml";
import type { ConfigurationProblem } from "../errors/index.js";
import type { YamlLocator } from "./yaml-locations.js";

type Collection = CST.BlockMap | CST.BlockSequence | CST.FlowCollection;
type QuotedScalar = CST.FlowScalar & { type: "single-quoted-scalar" | "double-quoted-scalar" };

/** One item of a CST collection, with the item that holds its collection (absent at a document's top). */
interface Entry {
  readonly collection: Collection;
  readonly index: number;
  readonly item: CST.CollectionItem;
  readonly owner: Entry | undefined;
}

/** Where the entries of a block begin, and that said as a fix for a misplaced line. */
interface Described {
  readonly column: number;
  readonly line: number;
  readonly sequence: boolean;
  readonly text: string;
}

/** A syntax problem once its cause is found: where the wrong construct begins, what is wrong, and how to fix it. */
interface Cause {
  readonly offset: number;
  readonly summary: string;
  readonly hint: string;
  /** An unclosed bracket or quote: what the parser reports after it is an echo of it. */
  readonly opens?: boolean;
  /** Found in the tree rather than taken from the parser's position: preferred over others on the same line. */
  readonly specific?: boolean;
}

const HINTS: Readonly<Record<ErrorCode, readonly [summary: string, hint: string]>> = {
  ALIAS_PROPS: ["an alias (*name) cannot have an anchor or a tag", "remove the '&anchor' or '!tag' before the alias"],
  BAD_ALIAS: ["this alias is not valid", "an alias is '*' followed by the name of an anchor set earlier with '&'"],
  BAD_DIRECTIVE: ["this directive is not valid", "remove the line starting with '%', or write '%YAML 1.2'"],
  BAD_DQ_ESCAPE: [
    "this escape sequence is not valid in a double-quoted string",
    "write '\\\\' for a backslash, or use single quotes, where a backslash is an ordinary character",
  ],
  BAD_INDENT: ["the indentation here is wrong", "indent it with spaces to the column of the entries it belongs with"],
  BAD_PROP_ORDER: ["an anchor or tag is out of place", "write '&anchor' and '!tag' right before the value they mark"],
  BAD_SCALAR_START: [
    "a plain value cannot start with this character",
    "put the value in quotes, e.g. '@value' or \"%value\"",
  ],
  BLOCK_AS_IMPLICIT_KEY: [
    "a mapping cannot be nested on the same line as its key",
    "start the nested mapping on a new line, indented under its key, or quote a value that contains ': '",
  ],
  BLOCK_IN_FLOW: [
    "an indented block cannot appear inside '[...]' or '{...}'",
    "write the contents of the brackets inline, or use indented '- ' items and 'key: value' lines without brackets",
  ],
  DUPLICATE_KEY: ["this key appears twice in one mapping", "keep one of the two"],
  IMPOSSIBLE: ["the YAML parser cannot read this", "check the syntax around this position"],
  KEY_OVER_1024_CHARS: ["a key longer than 1024 characters", "shorten the key"],
  MISSING_CHAR: ["a character is missing here", "check the syntax around this position"],
  MULTILINE_IMPLICIT_KEY: [
    "a key must fit on one line",
    "add the missing ':' at the end of the line before, or quote a value that spans lines",
  ],
  MULTIPLE_ANCHORS: ["a value can have only one anchor (&name)", "remove the extra anchor"],
  MULTIPLE_DOCS: [
    "the file holds more than one YAML document",
    "remove the '---' line (and anything after it that belongs to another document)",
  ],
  MULTIPLE_TAGS: ["a value can have only one tag (!tag)", "remove the extra tag"],
  NON_STRING_KEY: ["a key must be a string", "quote the key"],
  RESOURCE_EXHAUSTION: ["the document expands to too much data", "use fewer aliases (*name)"],
  TAB_AS_INDENT: [
    "a tab is used for indentation; YAML allows only spaces there",
    "replace the tab with spaces (set your editor to insert spaces in .yaml files)",
  ],
  TAG_RESOLVE_FAILED: ["this tag is not known", "remove the '!tag', or quote the value"],
  UNEXPECTED_TOKEN: [
    "this character is not expected here",
    "remove it, or quote the value it belongs to if it is part of a string",
  ],
  BAD_COLLECTION_TYPE: ["this tag cannot be used on a collection", "remove the '!tag'"],
};

/** A parsed configuration file, with the tokens it was composed from (kept to explain its syntax errors). */
export interface ParsedYaml {
  readonly document: Document.Parsed;
  readonly tokens: readonly CST.Token[];
}

/**
 * `parseDocument` with its options, keeping the concrete syntax tree so that an error's cause can be looked up in it
 * without parsing the text twice.
 */
export function parseYamlDocument(text: string, lineCounter: LineCounter): ParsedYaml {
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  let document: Document.Parsed | undefined;
  for (const each of new Composer({ lineCounter, prettyErrors: false, uniqueKeys: true }).compose(
    tokens,
    true,
    text.length,
  )) {
    if (document === undefined) {
      document = each;
      continue;
    }
    // As parseDocument does: a second document is an error of the first.
    document.errors.push(
      new YAMLParseError([each.range[0], each.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents"),
    );
    break;
  }
  if (document === undefined) throw new Error("the YAML composer returned no document");
  return { document, tokens };
}

/**
 * Turns the `yaml` package's syntax errors into problems located where the wrong construct begins: the parser reports
 * an unclosed bracket or quote where it gave up (often the end of the file) and a misindented line where its reading
 * went astray, so the concrete syntax tree is consulted to find the bracket, the quote or the line that caused it.
 */
export function describeYamlSyntaxErrors(
  text: string,
  parsed: ParsedYaml,
  lineCounter: LineCounter,
  locator: YamlLocator,
): ConfigurationProblem[] {
  const errors: readonly YAMLError[] = parsed.document.errors;
  if (errors.length === 0) return [];
  let causes: Cause[];
  try {
    const tree = new SyntaxTree(text, lineCounter, parsed.tokens);
    causes = errors.flatMap((error) => tree.causeOf(error));
  } catch {
    // Finding the cause is a courtesy: if the tree is too odd to search, the parser's own positions still stand.
    causes = errors.map((error) => ({ offset: clamp(error.pos[0], text.length), summary: error.message, hint: "" }));
  }

  // After an unclosed bracket or quote the parser reads the rest of the file wrongly; its later errors are echoes.
  const firstOpening = Math.min(...causes.filter((cause) => cause.opens).map((cause) => cause.offset));
  const kept = causes.filter((cause) => cause.opens === true || cause.offset < firstOpening);

  // The parser often reports one mistake several ways on the same line; the first, most specific one is the cause.
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  const chosen: Cause[] = [];
  const chosenOnLine = new Map<number, number>();
  for (const cause of kept) {
    const line = lineOf(cause.offset);
    const index = chosenOnLine.get(line);
    const held = index === undefined ? undefined : chosen[index];
    // Two unclosed brackets or quotes on one line are two mistakes.
    if (held === undefined || (held.opens === true && cause.opens === true)) {
      if (held === undefined) chosenOnLine.set(line, chosen.length);
      chosen.push(cause);
    } else if (index !== undefined && cause.specific === true && held.specific !== true) chosen[index] = cause;
  }
  return chosen
    .sort((a, b) => a.offset - b.offset)
    .map((cause) => ({ message: formatCause(text, lineCounter, cause), location: locator.at(cause.offset) }));
}

/** The concrete syntax tree of the file, indexed by offset for the lookups below. */
class Cst {
  /** Items by the offsets an error about them can carry: their leading tokens, key and first character. */
  private readonly entriesByOffset = new Map<number, Entry[]>();
  /** In document order. */
  readonly flows: CST.FlowCollection[] = [];
  readonly quoted: QuotedScalar[] = [];
  /** Where the first directive ('%' line) is, if any. */
  readonly directive: number | undefined;
  private readonly keysByCollection = new Map<Collection, Map<string, CST.Token>>();

  constructor(tokens: readonly CST.Token[]) {
    let directive: number | undefined;
    // Walked with a stack rather than recursion (or CST.visit, which recurses and finds each parent from the root),
    // so that deep nesting cannot overflow the call stack and wide collections stay linear.
    const pending: { collection: Collection; owner: Entry | undefined }[] = [];
    const note = (token: CST.Token | null | undefined, owner: Entry | undefined) => {
      if (token === undefined || token === null) return;
      if (CST.isCollection(token)) pending.push({ collection: token, owner });
      if (token.type === "flow-collection") this.flows.push(token);
      if (token.type === "single-quoted-scalar" || token.type === "double-quoted-scalar") {
        this.quoted.push(token as QuotedScalar);
      }
    };
    for (const token of tokens) {
      if (token.type === "directive") directive ??= token.offset;
      if (token.type === "document") note(token.value, undefined);
    }
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const { collection, owner } = next;
      collection.items.forEach((item, index) => {
        const entry: Entry = { collection, index, item, owner };
        const offsets = new Set([...item.start.map((t) => t.offset), itemContent(item)]);
        if (item.key !== undefined && item.key !== null) offsets.add(item.key.offset);
        for (const offset of offsets) {
          const held = this.entriesByOffset.get(offset);
          if (held === undefined) this.entriesByOffset.set(offset, [entry]);
          else held.push(entry);
        }
        note(item.key, entry);
        note(item.value, entry);
      });
    }
    this.flows.sort((a, b) => a.offset - b.offset);
    this.quoted.sort((a, b) => a.offset - b.offset);
    this.directive = directive;
  }

  entriesAt(offset: number): readonly Entry[] {
    return this.entriesByOffset.get(offset) ?? [];
  }

  /** The first key of `collection` whose text is `name`. */
  firstKey(collection: Collection, name: string): CST.Token | undefined {
    let keys = this.keysByCollection.get(collection);
    if (keys === undefined) {
      keys = new Map();
      for (const item of collection.items) {
        const text = scalarText(item.key);
        if (text !== undefined && item.key !== undefined && item.key !== null && !keys.has(text))
          keys.set(text, item.key);
      }
      this.keysByCollection.set(collection, keys);
    }
    return keys.get(name);
  }
}

/** Latest element of `list` (in document order) that starts before `offset` and satisfies `accept`. */
function latestBefore<T extends { offset: number }>(
  list: readonly T[],
  offset: number,
  accept: (t: T) => boolean,
): T | undefined {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((list[middle]?.offset ?? 0) < offset) low = middle + 1;
    else high = middle;
  }
  for (let index = low - 1; index >= 0; index--) {
    const candidate = list[index];
    if (candidate !== undefined && accept(candidate)) return candidate;
  }
  return undefined;
}

class SyntaxTree {
  private parsed: Cst | undefined;
  private readonly claimed = new Set<CST.Token>();
  /** Offset just past the last character that is not white space. */
  private readonly contentEnd: number;

  constructor(
    private readonly text: string,
    private readonly lineCounter: LineCounter,
    private readonly tokens: readonly CST.Token[],
  ) {
    this.contentEnd = text.trimEnd().length;
  }

  /** Indexed only when an error needs it. */
  private get cst(): Cst {
    this.parsed ??= new Cst(this.tokens);
    return this.parsed;
  }

  causeOf(error: YAMLError): Cause[] {
    const offset = clamp(error.pos[0], this.text.length);
    const flow = /^Flow (sequence|map)\b/.exec(error.message);
    if (flow !== null) return this.unclosedFlow(flow[1] === "sequence" ? "[" : "{", offset) ?? [this.plain(error)];
    const quote = /^Missing closing (["'])quote/.exec(error.message);
    if (quote !== null) return this.unclosedQuote(quote[1] === '"' ? '"' : "'", offset) ?? [this.plain(error)];
    switch (error.code) {
      case "BAD_INDENT":
      case "MISSING_CHAR":
        if (/must start at the same column|Sequence item without - indicator/.test(error.message)) {
          return [this.misplacedItem(offset) ?? this.plain(error)];
        }
        return [this.plain(error)];
      case "MULTILINE_IMPLICIT_KEY":
      case "BLOCK_AS_IMPLICIT_KEY":
        return [this.overIndentedLine(offset) ?? this.misplacedItem(offset, true) ?? this.plain(error)];
      case "TAB_AS_INDENT":
        return [{ ...this.plain(error), offset: this.tabFrom(offset) ?? offset, specific: true }];
      case "DUPLICATE_KEY":
        return [this.duplicateKey(offset) ?? this.plain(error)];
      default:
        return [this.plain(error)];
    }
  }

  /** A problem the tree adds nothing to: the parser's position, its code described. */
  private plain(error: YAMLError): Cause {
    let offset = clamp(error.pos[0], this.text.length);
    // Never the end of the file: the last thing written is the nearest to a cause.
    if (offset >= this.contentEnd && this.contentEnd > 0) offset = this.lineStartContent(this.contentEnd - 1);
    const [summary, hint] = HINTS[error.code] ?? [lowerFirst(error.message), "check the syntax around this position"];
    if (/^Missing directives-end/.test(error.message)) {
      const directive = this.cst.directive;
      return {
        offset: directive ?? offset,
        summary: "a line starting with '%' is a YAML directive, and directives must be followed by a '---' line",
        hint: "quote the value if the '%' belongs to it, or add a '---' line after the directives",
        specific: directive !== undefined,
      };
    }
    if (/^Implicit map keys need to be followed by map values/.test(error.message)) {
      return {
        offset,
        summary: `${this.wordAt(offset)} has no ':' after it, so it is neither a key nor part of a value`,
        hint: "write 'key: value', or indent the line to continue the value above it",
      };
    }
    if (error.code === "MULTILINE_IMPLICIT_KEY" && this.line(error.pos[1]) !== this.line(offset)) {
      return {
        offset,
        summary: `this line has no ': ', so it and line ${this.line(error.pos[1])} read as one key`,
        hint: "separate each key from its value with ': ' (a colon, then a space), or quote a value that spans lines",
      };
    }
    if (error.code === "UNEXPECTED_TOKEN")
      return { offset, summary: `${this.wordAt(offset)} is not expected here`, hint };
    if (error.code === "MISSING_CHAR") return { offset, summary: lowerFirst(error.message), hint };
    return { offset, summary, hint };
  }

  /** The bracket a "must end with ]/}" error is about: the latest unclosed one of its kind before the error. */
  private unclosedFlow(opener: "[" | "{", offset: number): Cause[] | undefined {
    const closer = opener === "[" ? "]" : "}";
    const flows = this.cst.flows;
    const flow = latestBefore(
      flows,
      offset,
      (f) => f.start.source === opener && f.end[0]?.source !== closer && !this.claimed.has(f),
    );
    if (flow === undefined) return undefined;
    this.claimed.add(flow);
    // A bracket inside that took this one's closer (before the parser gave up on this one) is the one to fix.
    for (let index = flows.indexOf(flow) + 1; (flows[index]?.offset ?? offset) < offset; index++) {
      if (flows[index]?.end[0]?.source === closer) return [];
    }
    const noun = opener === "[" ? "list" : "mapping";
    const wrong = flow.end[0];
    if (wrong !== undefined && (wrong.type === "flow-seq-end" || wrong.type === "flow-map-end")) {
      return [
        {
          offset: flow.start.offset,
          summary: `'${opener}' is closed by '${wrong.source}' at ${this.place(wrong.offset)}`,
          hint: `close the ${noun} with '${closer}' instead`,
          opens: true,
          specific: true,
        },
      ];
    }
    if (offset >= this.contentEnd) {
      return [
        {
          offset: flow.start.offset,
          summary: `'${opener}' is never closed: the ${noun} it opens runs to the end of the file`,
          hint: `add '${closer}' after the ${noun}'s last entry`,
          opens: true,
          specific: true,
        },
      ];
    }
    const cut = this.lineCounter.linePos(offset).line;
    return [
      {
        offset: flow.start.offset,
        summary: `'${opener}' is not closed before line ${cut}, which is not indented enough to continue the ${noun}`,
        hint: `add '${closer}' after the ${noun}'s last entry; a ${noun} that spans lines must indent each further line more than the key it belongs to`,
        opens: true,
        specific: true,
      },
    ];
  }

  private unclosedQuote(quote: '"' | "'", offset: number): Cause[] | undefined {
    const type = quote === '"' ? "double-quoted-scalar" : "single-quoted-scalar";
    const scalar = latestBefore(
      this.cst.quoted,
      offset,
      (s) => s.type === type && !this.claimed.has(s) && !isClosedQuote(s),
    );
    if (scalar === undefined) return undefined;
    this.claimed.add(scalar);
    const inside = quote === '"' ? 'write \\" for a quote inside it' : "write '' for a quote inside it";
    return [
      {
        offset: scalar.offset,
        summary: `the string opened by ${quote} here is never closed`,
        hint: `add the closing ${quote} at the end of the string (${inside})`,
        opens: true,
        specific: true,
      },
    ];
  }

  /**
   * An item of a block mapping or list whose column matches none around it. `onlyIfMisaligned`: the parser's error
   * does not say it is about indentation, so take it to be only when the item is not at its collection's column.
   */
  private misplacedItem(offset: number, onlyIfMisaligned = false): Cause | undefined {
    const entry = this.cst.entriesAt(offset).find((e) => e.collection.type !== "flow-collection");
    if (entry === undefined || entry.collection.type === "flow-collection") return undefined;
    const at = itemContent(entry.item);
    const column = this.column(at);
    const container = this.described(entry.collection);
    if (onlyIfMisaligned && container.column === column) return undefined;
    const label = this.label(entry.item, at);
    const deeper = this.deeperBlock(entry.collection.items[entry.index - 1], column);
    const candidates = [...(deeper === undefined ? [] : [deeper]), container];
    // At a list's column without its '- ': the dash is what is missing, not the indentation.
    const list = candidates.find((candidate) => candidate.sequence && candidate.column === column);
    if (list !== undefined && this.text[at] !== "-") {
      const others = candidates.filter((candidate) => candidate.column !== column).map((candidate) => candidate.text);
      return {
        offset: at,
        summary: `${label} is at the column of the list on line ${list.line} but does not start with '- '`,
        hint: `write '- ' before it${others.length === 0 ? "" : `, or indent it to ${others.join(", or ")}`}`,
        specific: true,
      };
    }
    const options = candidates
      .filter((candidate) => candidate.column !== column || candidate.sequence)
      .map((candidate) => candidate.text)
      .join(", or ");
    return {
      offset: at,
      summary: `${label} is at column ${column}, which lines up with no block above it`,
      hint: options === "" ? HINTS.BAD_INDENT[1] : `indent it to ${options}`,
      specific: true,
    };
  }

  /** The block that ended just above an item, which a misplaced line may have been meant to continue. */
  private deeperBlock(previous: CST.CollectionItem | undefined, column: number): Described | undefined {
    let token: CST.Token | undefined = previous?.value ?? undefined;
    while (token !== undefined) {
      if (token.type === "block-scalar") {
        const indentation = /^( *)\S/m.exec(token.source)?.[1]?.length;
        if (indentation === undefined || indentation + 1 <= column) return undefined;
        const line = this.line(token.offset);
        return {
          column: indentation + 1,
          line,
          sequence: false,
          text: `column ${indentation + 1} to continue the text block on line ${line}`,
        };
      }
      if (token.type !== "block-map" && token.type !== "block-seq") return undefined;
      const described = this.described(token);
      if (described.column > column || (described.sequence && described.column === column)) return described;
      token = token.items.at(-1)?.value ?? undefined;
    }
    return undefined;
  }

  /** A line indented past its siblings reads as the continuation of the value above: the parser then sees a key spanning lines. */
  private overIndentedLine(offset: number): Cause | undefined {
    const entry = this.cst.entriesAt(offset).find((e) => e.item.key?.offset === offset);
    const key = entry?.item.key;
    if (entry === undefined || key === undefined || key === null || !("source" in key) || !key.source.includes("\n")) {
      return undefined;
    }
    const lastLine = key.source.lastIndexOf("\n") + 1;
    const indentation = /^[ \t]*/.exec(key.source.slice(lastLine))?.[0] ?? "";
    const tab = indentation.indexOf("\t");
    if (tab >= 0) {
      const [summary, hint] = HINTS.TAB_AS_INDENT;
      return { offset: key.offset + lastLine + tab, summary, hint, specific: true };
    }
    const owner = entry.owner;
    const sibling = owner?.item.key;
    if (
      owner === undefined ||
      owner.collection.type !== "block-map" ||
      sibling === undefined ||
      sibling === null ||
      owner.item.value !== entry.collection ||
      this.lineCounter.linePos(sibling.offset).line !== this.lineCounter.linePos(offset).line
    ) {
      return undefined;
    }
    const at = key.offset + lastLine + indentation.length;
    const expected = this.described(owner.collection);
    const name = scalarText(sibling);
    const beside =
      name === undefined
        ? `the key on line ${this.line(sibling.offset)}`
        : `'${name}' on line ${this.line(sibling.offset)}`;
    return {
      offset: at,
      summary: `${this.wordAt(at)} is at column ${this.column(at)}, deeper than ${beside} (column ${expected.column}), so it reads as part of that line's value`,
      hint: `indent it to column ${expected.column}, like ${beside}; a nested mapping must start on a new line after a key with no value`,
      specific: true,
    };
  }

  private duplicateKey(offset: number): Cause | undefined {
    const entry = this.cst.entriesAt(offset).find((e) => e.item.key !== undefined && e.item.key !== null);
    const key = entry?.item.key;
    if (entry === undefined || key === undefined || key === null) return undefined;
    const name = scalarText(key);
    const first = name === undefined ? undefined : this.cst.firstKey(entry.collection, name);
    const [summary, hint] = HINTS.DUPLICATE_KEY;
    if (first === undefined || first === key || name === undefined) {
      return { offset: key.offset, summary, hint, specific: true };
    }
    return {
      offset: key.offset,
      summary: `duplicate key '${name}': it is already set on line ${this.line(first.offset)}; keys in a mapping must be unique`,
      hint: `keep one of the two '${name}' entries`,
      specific: true,
    };
  }

  /** Where a collection's entries start, said as the fix to a misplaced line. */
  private described(collection: Collection): Described {
    const first = collection.items[0];
    const at = first === undefined ? collection.offset : itemContent(first);
    const column = this.column(at);
    const line = this.line(at);
    if (collection.type === "block-seq") {
      return { column, line, sequence: true, text: `column ${column} as a new '- ' item of the list on line ${line}` };
    }
    const name = scalarText(first?.key);
    const like = name === undefined ? `the entries on line ${line}` : `'${name}' on line ${line}`;
    return { column, line, sequence: false, text: `column ${column}, like ${like}` };
  }

  private label(item: CST.CollectionItem, at: number): string {
    const name = scalarText(item.key);
    return name === undefined ? this.wordAt(at) : `'${name}'`;
  }

  /** The text at `offset` up to the next space or ':', quoted, to name what a message is about. */
  private wordAt(offset: number): string {
    const word = /^[^\s:]{1,40}/.exec(this.text.slice(offset, offset + 40))?.[0];
    return word === undefined ? "this line" : `'${word}'`;
  }

  private tabFrom(offset: number): number | undefined {
    for (let index = offset; index < this.text.length; index++) {
      const char = this.text[index];
      if (char === "\t") return index;
      if (char !== " ") return undefined;
    }
    return undefined;
  }

  private lineStartContent(offset: number): number {
    const { line } = this.lineCounter.linePos(offset);
    const start = this.lineCounter.lineStarts[line - 1] ?? 0;
    let content = start;
    while (content < offset && (this.text[content] === " " || this.text[content] === "\t")) content++;
    return content;
  }

  private line(offset: number): number {
    return this.lineCounter.linePos(offset).line;
  }

  private column(offset: number): number {
    return this.lineCounter.linePos(offset).col;
  }

  private place(offset: number): string {
    const { line, col } = this.lineCounter.linePos(offset);
    return `line ${line} column ${col}`;
  }
}

/** The summary, then the line quoted with a caret under the column, then the hint. */
function formatCause(text: string, lineCounter: LineCounter, cause: Cause): string {
  const { line, col } = lineCounter.linePos(cause.offset);
  const start = lineCounter.lineStarts[line - 1] ?? 0;
  const quoted = /^[^\r\n]*/.exec(text.slice(start, lineCounter.lineStarts[line] ?? text.length))?.[0] ?? "";
  // Tabs drawn as a visible arrow keep the caret under the right character and show where they are.
  const visible = quoted.replaceAll("\t", "→");
  const [shown, caret] = clip(visible, col - 1);
  const gutter = String(line);
  return [
    `${cause.summary} (YAML syntax)`,
    `  ${gutter} | ${shown}`,
    `  ${" ".repeat(gutter.length)} | ${" ".repeat(caret)}^`,
    ...(cause.hint === "" ? [] : [`  hint: ${cause.hint}`]),
  ].join("\n");
}
/** A window of a long line around the column, so a quoted line stays readable. */
function clip(line: string, index: number): [text: string, caret: number] {
  const width = 100;
  if (line.length <= width) return [line, index];
  const from = Math.max(0, Math.min(index - width / 2, line.length - width));
  const prefix = from > 0 ? "…" : "";
  const suffix = from + width < line.length ? "…" : "";
  return [`${prefix}${line.slice(from, from + width)}${suffix}`, index - from + prefix.length];
}

function clamp(offset: number, length: number): number {
  return Math.min(Math.max(offset, 0), length);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The first character of an item that is not white space or a comment: its '-', '?', anchor, tag or key. */
function itemContent(item: CST.CollectionItem): number {
  const token = item.start.find((t) => t.type !== "space" && t.type !== "newline" && t.type !== "comment");
  return token?.offset ?? item.key?.offset ?? item.sep?.[0]?.offset ?? item.value?.offset ?? item.start[0]?.offset ?? 0;
}

function scalarText(token: CST.Token | null | undefined): string | undefined {
  if (token === undefined || token === null || !CST.isScalar(token) || token.type === "block-scalar") return undefined;
  const value = CST.resolveAsScalar(token)?.value;
  if (value === undefined) return undefined;
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function isClosedQuote(scalar: QuotedScalar): boolean {
  const source = scalar.source;
  if (scalar.type === "single-quoted-scalar") return /^'(?:[^']|'')*'$/s.test(source);
  return /^"(?:[^"\\]|\\.)*"$/s.test(source);
}
