// The benchmark's chart as a self-contained SVG (no external service): small line charts,
// one value per connection count, each series a line with labelled points. Pure.

export interface Series {
  name: string;
  /** One value per x label; undefined leaves a gap. */
  values: (number | undefined)[];
}

export interface Panel {
  title: string;
  yLabel: string;
  xLabels: string[];
  series: Series[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const W = 420;
const H = 260;
const M = { left: 64, right: 16, top: 34, bottom: 74 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const short = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(0)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max)!;
}

function panel(p: Panel, x0: number, y0: number): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const all = p.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const top = niceMax(Math.max(0, ...all));
  const xAt = (i: number) => x0 + M.left + (p.xLabels.length === 1 ? plotW / 2 : (i * plotW) / (p.xLabels.length - 1));
  const yAt = (v: number) => y0 + M.top + plotH - (v / top) * plotH;
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="${y0 + 20}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + W - M.right}" y1="${yAt(v)}" y2="${yAt(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + M.left - 6}" y="${yAt(v) + 4}" text-anchor="end">${short(v)}</text>`);
  }
  out.push(`<text transform="translate(${x0 + 14},${y0 + M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  p.xLabels.forEach((label, i) => out.push(`<text x="${xAt(i)}" y="${y0 + M.top + plotH + 16}" text-anchor="middle">${esc(label)}</text>`));
  out.push(`<text x="${x0 + M.left + plotW / 2}" y="${y0 + M.top + plotH + 32}" text-anchor="middle">connections</text>`);
  p.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const points = s.values.map((v, i) => (v === undefined ? undefined : ([xAt(i), yAt(v)] as const)));
    const line = points.filter((pt) => pt !== undefined).map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${line}"/>`);
    for (const [i, pt] of points.entries()) {
      if (!pt) continue;
      out.push(`<circle cx="${pt[0].toFixed(1)}" cy="${pt[1].toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.name}, ${p.xLabels[i]} connections: ${short(s.values[i]!)}`)}</title></circle>`);
    }
    const lx = x0 + M.left + (k % 2) * (plotW / 2);
    const ly = y0 + H - 22 + Math.floor(k / 2) * 14;
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly + 1}">${esc(s.name)}</text>`);
  });
  return out.join("\n");
}

/** Panels laid out two per row, with a caption line under them. */
export function benchChart(panels: readonly Panel[], caption: string): string {
  const rows = Math.ceil(panels.length / 2);
  const width = W * Math.min(2, panels.length);
  const height = H * rows + 24;
  const body = panels.map((p, i) => panel(p, (i % 2) * W, Math.floor(i / 2) * H)).join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    `<text x="8" y="${height - 8}" fill="#555">${esc(caption)}</text>`,
    `</svg>`,
    "",
  ].join("\n");
}
