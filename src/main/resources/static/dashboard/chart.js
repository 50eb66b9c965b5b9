// The usage chart: one bar per UTC day, stacked by service, of credits or of tokens (uPlot, served from its webjar).
import uPlot from '/webjars/uplot/1.6.30/dist/uPlot.esm.js';
import { credits, count, day } from './format.js';

const COLOURS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4d7c0f', '#be185d'];

/** `days` as /usage/daily answers (a row per day and service); `measure` is 'cost' or 'tokens'. */
export function usageChart(target, days, measure, width) {
  // every day of the window, those without usage too: the last `span` UTC days up to today
  const span = 30;
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const dates = Array.from({ length: span }, (_, i) => new Date(today - (span - 1 - i) * 86400000).toISOString().slice(0, 10));
  const services = [...new Set(days.map((d) => d.service))].sort();
  const value = (date, service) => {
    const row = days.find((d) => d.date === date && d.service === service);
    return row ? Number(measure === 'cost' ? row.cost : row.tokens) : 0;
  };
  // Stacked: each series is the sum of itself and those below it, drawn from the top down.
  const stacked = [];
  let running = dates.map(() => 0);
  for (const service of services) {
    running = running.map((sum, i) => sum + value(dates[i], service));
    stacked.push(running);
  }
  const x = dates.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const order = services.map((s, i) => i).reverse();
  const format = measure === 'cost' ? credits : count;
  const bars = uPlot.paths.bars({ size: [0.7, 24] });
  const options = {
    width,
    height: 240,
    title: measure === 'cost' ? 'Credits charged per day' : 'Tokens per day',
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { values: (u, ticks) => ticks.map((t) => day(t * 1000)) },
      { values: (u, ticks) => ticks.map(format), size: 70 },
    ],
    series: [
      { value: (u, t) => (t == null ? '' : day(t * 1000)) },
      ...order.map((i) => ({
        label: services[i],
        fill: COLOURS[i % COLOURS.length],
        stroke: COLOURS[i % COLOURS.length],
        paths: bars,
        points: { show: false },
        value: (u, v, s, idx) => (idx == null ? '' : format(value(dates[idx], services[i]))),
      })),
    ],
  };
  return new uPlot(options, [x, ...order.map((i) => stacked[i])], target);
}
