// The radar of the five aspect scores and the curves over time, drawn on canvases (no charting library:
// nothing is fetched from outside the project).
import { hiDpi } from './ui.js';

const INK = '#1d2733';
const GRID = '#c9d2dc';
export const PHASE_COLORS = { chamber: 'rgba(92, 107, 192, 0.18)', extension: 'rgba(239, 108, 0, 0.18)',
  retraction: 'rgba(46, 125, 50, 0.18)', recovery: 'rgba(120, 120, 120, 0.14)' };

// axes: [{label, value 0-10 or null, verdict}]. An aspect that could not be trusted is drawn hollow.
export function radar(canvas, axes, max = 10) {
  const size = Math.min((canvas.clientWidth || 300) * 0.8, 300); // the height; the width is the canvas' own
  const { ctx } = hiDpi(canvas, size);
  const width = canvas.clientWidth || size;
  const cx = width / 2;
  const cy = size / 2;
  ctx.font = '13px system-ui, sans-serif';
  const label = (axis) => `${axis.label} ${axis.value == null ? '–' : axis.value.toFixed(1)}`;
  const widest = Math.max(...axes.map((a) => ctx.measureText(label(a)).width));
  const r = Math.max(40, Math.min(size / 2 - 30, width / 2 - widest - 14)); // room for the labels at the sides
  const angle = (i) => -Math.PI / 2 + (2 * Math.PI * i) / axes.length;
  const at = (i, v) => [cx + Math.cos(angle(i)) * r * (v / max), cy + Math.sin(angle(i)) * r * (v / max)];
  ctx.clearRect(0, 0, width, size);
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  for (let ring = 2; ring <= max; ring += 2) {
    ctx.beginPath();
    axes.forEach((_, i) => { const [x, y] = at(i, ring); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.closePath();
    ctx.stroke();
  }
  ctx.fillStyle = INK;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  axes.forEach((axis, i) => {
    const [x, y] = at(i, max);
    ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(x, y); ctx.stroke();
    const [lx, ly] = at(i, max + 1.4);
    const c = Math.cos(angle(i));
    ctx.textAlign = c > 0.3 ? 'left' : c < -0.3 ? 'right' : 'center';
    ctx.fillText(label(axis), lx, ly);
  });
  ctx.beginPath();
  axes.forEach((axis, i) => { const [x, y] = at(i, axis.value || 0); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
  ctx.closePath();
  ctx.fillStyle = 'rgba(0, 137, 160, 0.28)';
  ctx.strokeStyle = '#00798c';
  ctx.lineWidth = 2;
  ctx.fill();
  ctx.stroke();
  axes.forEach((axis, i) => {
    const [x, y] = at(i, axis.value || 0);
    ctx.beginPath();
    ctx.arc(x, y, 5, 0, 2 * Math.PI);
    ctx.fillStyle = axis.verdict === 'reliable' ? '#00798c' : '#ffffff';
    ctx.fill();
    ctx.stroke();
  });
}

function niceTicks(lo, hi, count = 4) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const power = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= step0);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

// A curve chart over time. spec: {title, unit, timesMs, series: [{values, color, dashed, label}],
// spans: [{start_ms, end_ms, name}], markers: [ms]}. Returns draw(cursorMs) and msAt(x in CSS pixels).
export function curveChart(canvas, spec) {
  const { ctx, width, height } = hiDpi(canvas, 170);
  const pad = { left: 48, right: 10, top: 22, bottom: 24 };
  const times = spec.timesMs;
  const t0 = times[0];
  const t1 = times[times.length - 1] || t0 + 1;
  const values = spec.series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!values.length) { lo = 0; hi = 1; }
  const margin = (hi - lo) * 0.08 || 1;
  lo -= margin; hi += margin;
  const x = (ms) => pad.left + ((ms - t0) / (t1 - t0 || 1)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);

  function draw(cursorMs) {
    ctx.clearRect(0, 0, width, height);
    for (const span of spec.spans || []) {
      ctx.fillStyle = PHASE_COLORS[span.name] || 'rgba(0,0,0,0.06)';
      ctx.fillRect(x(span.start_ms), pad.top, Math.max(1, x(span.end_ms) - x(span.start_ms)), height - pad.top - pad.bottom);
    }
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = INK;
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const tick of niceTicks(lo, hi)) {
      ctx.beginPath(); ctx.moveTo(pad.left, y(tick)); ctx.lineTo(width - pad.right, y(tick)); ctx.stroke();
      ctx.fillText(String(tick), pad.left - 4, y(tick));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const tick of niceTicks(t0 / 1000, t1 / 1000, 6)) ctx.fillText(`${tick}s`, x(tick * 1000), height - pad.bottom + 4);
    ctx.textAlign = 'left';
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.fillText(`${spec.title} (${spec.unit})`, pad.left, 4);
    for (const s of spec.series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dashed ? [6, 4] : []);
      ctx.beginPath();
      let drawing = false;
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) { drawing = false; return; }
        if (drawing) ctx.lineTo(x(times[i]), y(v)); else ctx.moveTo(x(times[i]), y(v));
        drawing = true;
      });
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.strokeStyle = '#c62828';
    for (const ms of spec.markers || []) {
      ctx.beginPath(); ctx.moveTo(x(ms), pad.top); ctx.lineTo(x(ms), pad.top + 6); ctx.stroke();
    }
    if (cursorMs !== undefined) {
      ctx.strokeStyle = INK;
      ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(x(cursorMs), pad.top); ctx.lineTo(x(cursorMs), height - pad.bottom); ctx.stroke();
    }
  }
  const msAt = (px) => t0 + ((px - pad.left) / (width - pad.left - pad.right)) * (t1 - t0);
  return { draw, msAt };
}

// Scores over time (history): one line per series, points at each analysis' date.
export function historyChart(canvas, points, series) {
  const { ctx, width, height } = hiDpi(canvas, 220);
  const pad = { left: 36, right: 12, top: 14, bottom: 34 };
  ctx.clearRect(0, 0, width, height);
  const n = points.length;
  const x = (i) => pad.left + (n > 1 ? i / (n - 1) : 0.5) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - v / 10) * (height - pad.top - pad.bottom);
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = GRID;
  ctx.fillStyle = INK;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let v = 0; v <= 10; v += 2) {
    ctx.beginPath(); ctx.moveTo(pad.left, y(v)); ctx.lineTo(width - pad.right, y(v)); ctx.stroke();
    ctx.fillText(String(v), pad.left - 4, y(v));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const every = Math.max(1, Math.ceil(n / 6));
  const dates = points.map((p) => new Date(p.timestamp));
  const oneDay = n > 1 && dates[n - 1] - dates[0] < 36e5 * 24; // within a day the time tells them apart
  points.forEach((p, i) => {
    if (i % every !== 0 && i !== n - 1) return;
    ctx.textAlign = i === 0 && n > 1 ? 'left' : i === n - 1 && n > 1 ? 'right' : 'center';
    const label = oneDay ? dates[i].toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : dates[i].toLocaleDateString();
    ctx.fillText(label, x(i), height - pad.bottom + 6);
  });
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width || 1.5;
    ctx.beginPath();
    points.forEach((p, i) => { const v = s.value(p); if (i) ctx.lineTo(x(i), y(v)); else ctx.moveTo(x(i), y(v)); });
    ctx.stroke();
    points.forEach((p, i) => { ctx.beginPath(); ctx.arc(x(i), y(s.value(p)), s.width ? 4 : 2.5, 0, 2 * Math.PI); ctx.fill(); });
  }
}
