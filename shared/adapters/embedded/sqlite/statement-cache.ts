import type { Statement } from "better-sqlite3";
import type { TwinedDatabase } from "./database.js";

/**
 * Prepared statements by SQL text. Queries are assembled from a small fixed set of fragments, so the cache stays
 * bounded while each shape is compiled once.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: TwinedDatabase) {}

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
