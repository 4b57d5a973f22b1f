// One experiment's measured outcomes: a uPlot bar chart (one bar per observed outcome, its count) and the same
// numbers as a table with probabilities, which is also what screen readers get. The counts the chart was drawn
// from are on the figure (`data-counts`) so tests can compare them with the result. A result with more distinct
// outcomes than MAX_OUTCOMES shows its most frequent ones and says so; the raw JSON has them all.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { BAR_FILL, mostFrequent, type OutcomeCount } from '../format.ts';

const HEIGHT = 240;
/** Bars (and table rows) one experiment shows at most. */
export const MAX_OUTCOMES = 256;

function options(counts: OutcomeCount[], width: number): uPlot.Options {
  const labels = counts.map((c) => c.outcome);
  // Not Math.max(...counts): spreading a result's hundreds of thousands of outcomes overflows the call stack.
  const max = counts.reduce((highest, c) => Math.max(highest, c.count), 0);
  const bars = uPlot.paths.bars!({ size: [0.6, 80], align: 0 });
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, range: [-0.5, counts.length - 0.5] }, y: { range: [0, Math.ceil(max * 1.1) || 1] } },
    axes: [
      {
        label: 'outcome',
        grid: { show: false },
        splits: () => labels.map((_, i) => i),
        values: (_u: uPlot, splits: number[]) => splits.map((i) => labels[i] ?? ''),
        rotate: labels.length > 8 ? -60 : 0,
        size: labels.length > 8 ? 70 : 40,
      },
      // Counts are whole numbers: no ticks at 0.5.
      { label: 'count', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000] },
    ],
    series: [{}, { label: 'count', fill: BAR_FILL, stroke: BAR_FILL, width: 0, paths: bars, points: { show: false } }],
  };
}

export function Histogram({ name, shots, counts: all }: { name: string; shots: number; counts: OutcomeCount[] }): VNode {
  const holder = useRef<HTMLDivElement>(null);
  const counts = useMemo(() => mostFrequent(all, MAX_OUTCOMES), [all]);
  const [near, setNear] = useState(false);
  useEffect(() => {
    // The chart is drawn once its place comes near the screen: every chart measures the page as it is built, so a
    // result with hundreds of experiments drawing them all at once froze the page for half a minute before showing
    // any. The caption and the table are there from the start.
    const element = holder.current;
    if (!element || near) return;
    const watch = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && setNear(true), { rootMargin: '600px 0px' });
    watch.observe(element);
    return () => watch.disconnect();
  }, [near]);
  useEffect(() => {
    const element = holder.current;
    if (!element || !near || counts.length === 0) return;
    const data: uPlot.AlignedData = [counts.map((_, i) => i), counts.map((c) => c.count)];
    const plot = new uPlot(options(counts, Math.max(260, element.clientWidth)), data, element);
    // Follows the page width (a phone turned sideways, a resized window).
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(260, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [counts, near]);
  const summary = counts.map((c) => [c.outcome, c.count]);
  return html`
    <figure class="histogram" data-experiment=${name} data-counts=${JSON.stringify(summary)}>
      <figcaption><strong>${name}</strong>: ${shots} shots, ${all.length} distinct outcome${all.length === 1 ? '' : 's'}${
        counts.length < all.length ? html`<span data-testid="outcomes-shown">, the ${counts.length} most frequent shown</span>` : null}</figcaption>
      <div class=${near || counts.length === 0 ? 'plot' : 'plot pending'} ref=${holder} aria-hidden="true"></div>
      <details>
        <summary>Counts and probabilities</summary>
        <table class="counts">
          <thead><tr><th scope="col">Outcome</th><th scope="col">Count</th><th scope="col">Probability</th></tr></thead>
          <tbody>
            ${counts.map((c) => html`<tr><td><code>${c.outcome}</code></td><td>${c.count}</td><td>${c.probability.toFixed(3)}</td></tr>`)}
          </tbody>
        </table>
      </details>
    </figure>
  `;
}
