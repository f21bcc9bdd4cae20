// BlazePose's 33 landmarks drawn as a skeleton on a canvas.

// MediaPipe's POSE_CONNECTIONS (mediapipe/python/solutions/pose_connections.py).
export const POSE_CONNECTIONS = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
  [11, 12], [11, 13], [13, 15], [15, 17], [15, 19], [15, 21], [17, 19],
  [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20],
  [11, 23], [12, 24], [23, 24], [23, 25], [24, 26], [25, 27], [26, 28],
  [27, 29], [28, 30], [29, 31], [30, 32], [27, 31], [28, 32],
];
export const STUDENT_COLOR = '#00e5ff';
export const REFERENCE_COLOR = '#ffb000';
// BlazePose's own threshold for a landmark worth drawing (MediaPipe's drawing utils use 0.5).
export const MIN_VISIBILITY = 0.5;
const LEFT_HIP = 23;
const RIGHT_HIP = 24;

// [[x, y, visibility], ...] from an analysis' flat {"points": [x0, y0, v0, ...]} or live's [[x, y, z, v], ...].
export function toPoints(landmarks) {
  if (!landmarks) return [];
  const flat = Array.isArray(landmarks) ? landmarks : landmarks.points || [];
  if (flat.length && Array.isArray(flat[0])) return flat.map((p) => [p[0], p[1], p[p.length - 1]]);
  const out = [];
  for (let i = 0; i + 2 < flat.length; i += 3) out.push([flat[i], flat[i + 1], flat[i + 2]]);
  return out;
}

const seen = (p) => p && p[2] >= MIN_VISIBILITY && Number.isFinite(p[0]) && Number.isFinite(p[1]);

// Draws normalised points (0-1 of the image) on ctx over a width x height area; `map` moves points first.
export function drawSkeleton(ctx, points, width, height, { color = STUDENT_COLOR, alpha = 1, map = null } = {}) {
  if (!points.length) return;
  const at = points.map((p) => (map ? map(p) : p));
  const size = Math.max(width, height);
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineCap = 'round';
  ctx.lineWidth = Math.max(2, size / 250);
  ctx.beginPath();
  for (const [a, b] of POSE_CONNECTIONS) {
    if (seen(at[a]) && seen(at[b])) {
      ctx.moveTo(at[a][0] * width, at[a][1] * height);
      ctx.lineTo(at[b][0] * width, at[b][1] * height);
    }
  }
  ctx.stroke();
  const radius = Math.max(3, size / 160);
  for (const p of at) {
    if (!seen(p)) continue;
    ctx.beginPath();
    ctx.arc(p[0] * width, p[1] * height, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

// Points are normalised to their image (x by its width, y by its height); the maps below work in units of
// the image's height (x times the aspect ratio width/height), so that a body keeps its proportions.

// The hips' midpoint and the body's height (seen landmarks), to lay one skeleton over another.
function bodyFrame(points, aspect) {
  const good = points.filter(seen);
  if (good.length < 4) return null;
  const ys = good.map((p) => p[1]);
  const hips = [points[LEFT_HIP], points[RIGHT_HIP]].filter(seen);
  const centre = hips.length ? hips : good;
  return {
    x: (centre.reduce((s, p) => s + p[0], 0) / centre.length) * aspect,
    y: centre.reduce((s, p) => s + p[1], 0) / centre.length,
    height: Math.max(...ys) - Math.min(...ys),
  };
}

// A map that lays `from` (image aspect fromAspect) over `onto` (ontoAspect): same hip point, same height.
export function overlayMap(from, onto, fromAspect, ontoAspect) {
  const a = bodyFrame(from, fromAspect);
  const b = bodyFrame(onto, ontoAspect);
  if (!a || !b || a.height <= 0) return null;
  const k = b.height / a.height;
  return (p) => [(b.x + (p[0] * fromAspect - a.x) * k) / ontoAspect, b.y + (p[1] - a.y) * k, p[2]];
}

// A map that fits every frame of a sequence (image aspect srcAspect) into a canvas of dstAspect, with a
// margin; one scale for all frames, so that the motion is seen, not cancelled.
export function fitMap(sequence, srcAspect, dstAspect) {
  let x0 = Infinity; let x1 = -Infinity; let y0 = Infinity; let y1 = -Infinity;
  for (const points of sequence) {
    for (const p of points) {
      if (!seen(p)) continue;
      const x = p[0] * srcAspect;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    }
  }
  if (!Number.isFinite(x0)) return null;
  const scale = 0.9 * Math.min(dstAspect / Math.max(x1 - x0, 1e-6), 1 / Math.max(y1 - y0, 1e-6));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return (p) => [(dstAspect / 2 + (p[0] * srcAspect - cx) * scale) / dstAspect, 0.5 + (p[1] - cy) * scale, p[2]];
}
