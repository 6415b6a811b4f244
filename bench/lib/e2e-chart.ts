/**
 * bench/e2e.svg, hand-written: two panels of grouped bars, p50 latency and DB
 * queries per request, one group per mode, one bar per network.
 */
import { writeFileSync } from 'node:fs';
import type { ModeResult, Network } from './e2e-mode.js';
import { medianFigures } from './e2e-report.js';
import type { ShopMode } from './shop-process.js';

const COLORS: Record<Network, string> = { loopback: '#4472c4', delayed: '#ed7d31' };
const PANEL = { width: 460, height: 300, left: 56, right: 12, top: 40, bottom: 48 } as const;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round axis maximum ≥ `value`: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function label(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function panel(
  offsetX: number,
  title: string,
  modes: readonly ShopMode[],
  networks: readonly Network[],
  value: (mode: ShopMode, network: Network) => number,
): string {
  const plotWidth = PANEL.width - PANEL.left - PANEL.right;
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom;
  const values = modes.flatMap((mode) => networks.map((network) => value(mode, network)));
  const max = niceMax(Math.max(0, ...values.filter(Number.isFinite)));
  const x0 = offsetX + PANEL.left;
  const y0 = PANEL.top + plotHeight;
  const parts = [
    `<text x="${offsetX + PANEL.width / 2}" y="22" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let tick = 0; tick <= 4; tick++) {
    const y = y0 - (tick / 4) * plotHeight;
    parts.push(
      `<line x1="${x0}" x2="${x0 + plotWidth}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11">${label((max * tick) / 4)}</text>`,
    );
  }
  const groupWidth = plotWidth / modes.length;
  const barWidth = (groupWidth * 0.7) / networks.length;
  modes.forEach((mode, group) => {
    const groupX = x0 + group * groupWidth + groupWidth * 0.15;
    networks.forEach((network, index) => {
      const v = value(mode, network);
      const height = Number.isFinite(v) ? (v / max) * plotHeight : 0;
      const x = groupX + index * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(y0 - height).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${height.toFixed(1)}" fill="${COLORS[network]}"><title>${mode}, ${network}: ${label(v)}</title></rect>`,
        `<text x="${(x + barWidth / 2 - 1).toFixed(1)}" y="${(y0 - height - 3).toFixed(1)}" text-anchor="middle" font-size="9">${label(v)}</text>`,
      );
    });
    parts.push(
      `<text x="${(x0 + group * groupWidth + groupWidth / 2).toFixed(1)}" y="${y0 + 16}" text-anchor="middle" font-size="12">${mode}</text>`,
    );
  });
  parts.push(`<line x1="${x0}" x2="${x0 + plotWidth}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  return parts.join('\n');
}

/** Write the chart (medians over rounds) to `file` (a path); `subtitle` says when and where it was measured. */
export function writeE2eChart(file: string, results: readonly ModeResult[], subtitle: string): void {
  const modes = [...new Set(results.map((r) => r.mode))];
  const networks = [...new Set(results.map((r) => r.network))];
  const medians = medianFigures(results);
  const find = (mode: ShopMode, network: Network) => medians.get(`${network}/${mode}`);
  const width = PANEL.width * 2;
  const height = PANEL.height + 40;
  const legend = networks
    .map(
      (network, index) =>
        `<rect x="${PANEL.left + index * 150}" y="${PANEL.height + 4}" width="12" height="12" fill="${COLORS[network]}"/><text x="${PANEL.left + index * 150 + 18}" y="${PANEL.height + 14}" font-size="12">${network}</text>`,
    )
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">
<title>The reference shop end to end: p50 latency and database queries per request per mode, loopback and delayed (${escapeXml(subtitle)})</title>
<rect width="100%" height="100%" fill="#fff"/>
${panel(0, 'p50 latency (ms)', modes, networks, (m, n) => find(m, n)?.p50 ?? Number.NaN)}
${panel(PANEL.width, 'DB queries per request', modes, networks, (m, n) => find(m, n)?.queries ?? Number.NaN)}
${legend}
<text x="${width - 8}" y="${PANEL.height + 14}" text-anchor="end" font-size="11" fill="#555">${escapeXml(subtitle)}</text>
</svg>
`;
  writeFileSync(file, svg);
}
