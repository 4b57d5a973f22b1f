// The one table `npm run bench` prints: a header naming the machine and versions, a row per measured figure
// (qspool, its peer, their ratio and the goal), and numbered notes that say how each figure was taken.
import { type Figure, formatFigure, formatNumber } from './stats.ts';

export interface TableRow {
  /** What is measured, e.g. "1a submit, accepted jobs/s". */
  row: string;
  qspool: Figure | string;
  /** The peer's figure, or a word when there is none (then no ratio). */
  peer: Figure | string;
  /** Who the peer is, shown under the figure's label. */
  peerName?: string;
  /** qspool ÷ peer (medians), when both are figures. */
  ratio?: number;
  goal: string;
  /** undefined: informational, no goal. */
  met?: boolean;
  note?: string;
}

function cell(value: Figure | string): string {
  return typeof value === 'string' ? value : formatFigure(value);
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

export function renderTable(header: string[], rows: TableRow[]): string {
  const columns = ['row', 'qspool (median [min–max])', 'peer (median [min–max])', 'ratio', 'goal', 'met?'];
  const notes: string[] = [];
  const cells = rows.map((row) => {
    let label = row.row;
    if (row.note) {
      notes.push(row.note);
      label += ` (${notes.length})`;
    }
    const peer = row.peerName ? `${cell(row.peer)} ${row.peerName}` : cell(row.peer);
    const met = row.met === undefined ? 'info' : row.met ? 'yes' : 'NO';
    return [label, cell(row.qspool), peer, row.ratio === undefined ? '—' : `${formatNumber(row.ratio)}×`, row.goal, met];
  });
  const widths = columns.map((title, i) => Math.max([...title].length, ...cells.map((line) => [...line[i]!].length)));
  const line = (values: string[]) => values.map((value, i) => pad(value, widths[i]!)).join(' │ ').trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('─┼─');
  return [
    ...header,
    '',
    line(columns),
    rule,
    ...cells.map(line),
    '',
    ...notes.map((note, i) => `(${i + 1}) ${note}`),
  ].join('\n');
}

export interface Goal {
  text: string;
  /** Whether the goal is met, from the ratio of the medians and qspool's median. */
  check(ratio: number, qspool: number): boolean;
}

/** A row comparing two figures by their medians. */
export function compared(row: string, qspool: Figure, peer: Figure, peerName: string, goal?: Goal, note?: string): TableRow {
  const ratio = qspool.median / peer.median;
  return {
    row,
    qspool,
    peer,
    peerName,
    ratio,
    goal: goal?.text ?? '—',
    ...(goal ? { met: goal.check(ratio, qspool.median) } : {}),
    ...(note ? { note } : {}),
  };
}
