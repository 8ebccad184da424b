import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";
import type { SourceLocation } from "../errors/index.js";

/** Maps paths inside a parsed YAML document to 1-based file positions, for error messages. */
export class YamlLocator {
  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string,
  ) {}

  /** Position of the value at `path`, or of its nearest ancestor that exists. */
  valueAt(path: readonly (string | number)[]): SourceLocation {
    for (let length = path.length; length >= 0; length--) {
      const node = this.document.getIn(path.slice(0, length), true);
      if (isNodeWithRange(node)) return this.at(node.range[0]);
    }
    return { file: this.file, line: 1, column: 1 };
  }

  /** Position of the key `key` of the mapping at `mapPath` (where an unknown key is reported). */
  keyAt(mapPath: readonly (string | number)[], key: string): SourceLocation {
    const map = this.document.getIn(mapPath, true);
    if (isMap(map)) {
      const pair = map.items.find((item: Pair) => isScalar(item.key) && item.key.value === key);
      if (pair !== undefined && isNodeWithRange(pair.key)) return this.at(pair.key.range[0]);
    }
    return this.valueAt(mapPath);
  }

  /** Position of a character offset in the file. */
  at(offset: number): SourceLocation {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

function isNodeWithRange(node: unknown): node is Node & { range: [number, number, number] } {
  return (isMap(node) || isSeq(node) || isScalar(node)) && Array.isArray(node.range);
}
