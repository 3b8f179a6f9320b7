import type { StackName } from "../types.js";

/** One figure of one stack in a table row. */
export interface Cell {
  /** The median of the rounds, or undefined when the case failed. */
  readonly value: number | undefined;
  /** Every round, for the JSON. */
  readonly rounds?: readonly number[];
  /** A note shown beside the figure, e.g. "gRPC" when the stack speaks another protocol. */
  readonly note?: string;
  /** Why there is no figure. */
  readonly error?: string;
}

/** One line of the table: the same figure measured on every stack. */
export interface Row {
  readonly section: string;
  /** What is measured, e.g. "unary h2c Connect 100 B". */
  readonly name: string;
  /** The unit of the figures, e.g. "req/s", "ms p99", "KiB/stream". */
  readonly unit: string;
  /** Whether a larger figure is better (throughput) or worse (latency, memory). */
  readonly higherIsBetter: boolean;
  readonly cells: Partial<Record<StackName, Cell>>;
}

/** Collects rows as sections produce them and logs progress. */
export class Report {
  readonly rows: Row[] = [];
  readonly errors: string[] = [];

  constructor(readonly log: (line: string) => void) {}

  add(row: Row): void {
    this.rows.push(row);
    for (const [stack, cell] of Object.entries(row.cells)) {
      // A cell with a note is borrowed from another row, which reports its error.
      if (cell?.error !== undefined && cell.note === undefined)
        this.errors.push(`${row.name} [${stack}]: ${cell.error}`);
    }
  }
}
