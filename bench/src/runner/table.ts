import type { StackName } from "../types.js";
import type { Cell, Row } from "./report.js";
import { median } from "./stats.js";

/** The peers ours is compared with, in column order. */
export const PEERS: readonly StackName[] = ["connect-es", "grpc-js", "bare"];

/** A figure with as many digits as it deserves. */
export function formatFigure(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatCell(cell: Cell | undefined): string {
  if (cell === undefined) return "";
  if (cell.value === undefined) return cell.error !== undefined ? "error" : "-";
  const figure = formatFigure(cell.value);
  return cell.note === undefined ? figure : `${figure} (${cell.note})`;
}

/**
 * ours ÷ peer, or undefined when either is missing. When both have the same
 * number of rounds, measured in turns, it is the median of the ratios of
 * round 1 to round 1, 2 to 2 and so on: rounds taken a few seconds apart
 * share the machine's mood, so their ratio is steadier than that of two
 * medians.
 */
export function ratio(row: Row, peer: StackName): number | undefined {
  const ours = row.cells.ours;
  const theirs = row.cells[peer];
  if (ours?.value === undefined || theirs?.value === undefined || theirs.value === 0) {
    return undefined;
  }
  const a = ours.rounds;
  const b = theirs.rounds;
  if (a !== undefined && b !== undefined && a.length > 0 && a.length === b.length) {
    const pairs = a.map((x, i) => x / b[i]!).filter((r) => Number.isFinite(r));
    if (pairs.length === a.length) return median(pairs);
  }
  return ours.value / theirs.value;
}

function formatRatio(row: Row, peer: StackName): string {
  const r = ratio(row, peer);
  return r === undefined ? "" : `${r.toFixed(2)}x`;
}

/**
 * Renders the rows as one table: each figure of ours with each peer's figure
 * beside it and the ratio ours ÷ peer. `↑` marks figures where more is better
 * (throughput), `↓` those where less is (latency, memory).
 */
export function renderTable(rows: readonly Row[]): string {
  const header = ["benchmark", "unit", "ours"];
  for (const peer of PEERS) header.push(peer, "x");
  const lines: string[][] = [header];
  let section = "";
  const sectionLines: number[] = [];
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      sectionLines.push(lines.length);
      lines.push([`[${section}]`]);
    }
    const cells = [
      row.name,
      `${row.unit} ${row.higherIsBetter ? "↑" : "↓"}`,
      formatCell(row.cells.ours),
    ];
    for (const peer of PEERS) cells.push(formatCell(row.cells[peer]), formatRatio(row, peer));
    lines.push(cells);
  }
  const widths = header.map((_, i) =>
    Math.max(...lines.filter((_, n) => !sectionLines.includes(n)).map((l) => (l[i] ?? "").length)),
  );
  const render = (cells: string[], n: number) => {
    if (sectionLines.includes(n)) return cells[0]!;
    return cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  };
  const out = lines.map(render);
  const rule = "-".repeat(Math.max(...out.map((l) => l.length)));
  out.splice(1, 0, rule);
  return out.join("\n");
}

/** The same table in Markdown, for the README's performance section. */
export function renderMarkdown(rows: readonly Row[]): string {
  const header = ["benchmark", "unit", "ours"];
  for (const peer of PEERS) header.push(peer, "ours ÷");
  const out = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of rows) {
    const cells = [
      `${row.section}: ${row.name}`,
      `${row.unit} ${row.higherIsBetter ? "↑" : "↓"}`,
      formatCell(row.cells.ours),
    ];
    for (const peer of PEERS) cells.push(formatCell(row.cells[peer]), formatRatio(row, peer));
    out.push(`| ${cells.join(" | ")} |`);
  }
  return out.join("\n");
}
