// Draws the two Teams app icons (a shield with a tick) and writes them to teams/:
//   color.png   192x192, white shield on the accent colour
//   outline.png  32x32, white outline on transparent (Teams' rule for the outline icon)
// Run `npx tsx scripts/teams-icons.ts` after changing the drawing; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng, type Image } from './teams-png.ts';

export const ACCENT = { hex: '#1F6FEB', rgb: [0x1f, 0x6f, 0xeb] as const };

type Point = [number, number];

/** The shield, in unit coordinates (0..1), clockwise. */
const SHIELD: Point[] = [
  [0.5, 0.1],
  [0.82, 0.22],
  [0.8, 0.52],
  [0.72, 0.7],
  [0.5, 0.9],
  [0.28, 0.7],
  [0.2, 0.52],
  [0.18, 0.22],
];
const TICK: Point[] = [
  [0.36, 0.5],
  [0.46, 0.61],
  [0.66, 0.38],
];

function inside(p: Point, polygon: Point[]): boolean {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

function nearPath(p: Point, points: Point[], closed: boolean, halfWidth: number): boolean {
  const count = closed ? points.length : points.length - 1;
  for (let i = 0; i < count; i++) {
    if (distanceToSegment(p, points[i]!, points[(i + 1) % points.length]!) <= halfWidth) return true;
  }
  return false;
}

/** Coverage of each pixel by `shape`, 4x4 supersampled so the edges are smooth. */
function rasterise(size: number, shape: (p: Point) => boolean): Float32Array {
  const coverage = new Float32Array(size * size);
  const n = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          if (shape([(x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size])) hits++;
        }
      }
      coverage[y * size + x] = hits / (n * n);
    }
  }
  return coverage;
}

export function colorIcon(): Image {
  const size = 192;
  // The white shield with the tick cut out of it, on the accent colour.
  const white = rasterise(size, (p) => inside(p, SHIELD) && !nearPath(p, TICK, false, 0.045));
  const pixels = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const w = white[i]!;
    for (let k = 0; k < 3; k++) pixels[i * 4 + k] = Math.round(ACCENT.rgb[k]! * (1 - w) + 255 * w);
    pixels[i * 4 + 3] = 255;
  }
  return { width: size, height: size, pixels };
}

export function outlineIcon(): Image {
  const size = 32;
  const shape = rasterise(size, (p) => nearPath(p, SHIELD, true, 0.05) || nearPath(p, TICK, false, 0.055));
  const pixels = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    pixels.set([255, 255, 255, Math.round(shape[i]! * 255)], i * 4);
  }
  return { width: size, height: size, pixels };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'teams');
  writeFileSync(path.join(dir, 'color.png'), encodePng(colorIcon()));
  writeFileSync(path.join(dir, 'outline.png'), encodePng(outlineIcon()));
  console.log(`wrote ${path.join(dir, 'color.png')} and ${path.join(dir, 'outline.png')}`);
}
