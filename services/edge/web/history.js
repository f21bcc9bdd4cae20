// History: the student's analyses (GET /analyses, newest first, page by page) and their progress in one
// technique over time (GET /analyses/progress): the overall score bold, the five aspects thin.
import { request } from './api.js';
import { historyChart } from './charts.js';
import { $, clear, el, score, showError, when } from './ui.js';

const ASPECT_COLORS = { speed: '#00798c', force: '#8e24aa', timing: '#ef6c00', balance: '#2e7d32', coordination: '#6d4c41' };

let cursor = null;
let techniques = new Set();
let progress = null;

function row(a) {
  return el('tr', {}, el('td', {}, when(a.timestamp)), el('td', {}, (a.technique || 'not recognised').replace(/_/g, ' ')),
    el('td', {}, a.coach), el('td', {}, score(a.overall_score)),
    el('td', {}, el('a', { href: `#/result/${a.id}` }, 'Open')));
}

async function page(first) {
  const reply = await request('GET', '/analyses', { query: { limit: 20, cursor: first ? '' : cursor } });
  const rows = $('#history-rows');
  if (first) clear(rows);
  rows.append(...reply.analyses.map(row));
  cursor = reply.next_cursor;
  $('#history-more').hidden = !cursor;
  for (const a of reply.analyses) if (a.technique) techniques.add(a.technique);
}

function drawProgress() {
  const canvas = $('#history-chart');
  if (!progress || !progress.points.length) {
    canvas.hidden = true;
    $('#history-change').textContent = progress ? 'No analysis of this technique yet.' : '';
    return;
  }
  canvas.hidden = false;
  const series = [{ color: '#1d2733', width: 3, value: (p) => p.overall_score },
    ...Object.entries(ASPECT_COLORS).map(([name, color]) => ({ color, value: (p) => p.aspect_scores[name] ?? 0 }))];
  historyChart(canvas, progress.points, series);
  const last = progress.points[progress.points.length - 1];
  canvas.setAttribute('aria-label', `Overall score over ${progress.points.length} analyses of ${progress.technique}; `
    + `latest ${score(last.overall_score)} / 10`);
  canvas.dataset.drawn = 'true';
  const change = progress.overall_change;
  $('#history-change').textContent = change === null || change === undefined
    ? `${progress.points.length} analysis so far: the change shows from the second one.`
    : `Overall change: ${change > 0 ? '+' : ''}${Number(change).toFixed(1)} points. Thin lines: `
      + Object.keys(ASPECT_COLORS).join(', ');
}

async function showTechnique(technique) {
  progress = technique ? await request('GET', '/analyses/progress', { query: { technique } }) : null;
  drawProgress();
}

export function initHistory() {
  $('#history-more').addEventListener('click', () => page(false).catch((e) => showError($('#history-error'), e)));
  $('#history-technique').addEventListener('change', (e) => showTechnique(e.target.value)
    .catch((error) => showError($('#history-error'), error)));
  window.addEventListener('resize', () => { if (!$('#view-history').hidden) drawProgress(); });
}

export async function enterHistory() {
  showError($('#history-error'), null);
  try {
    techniques = new Set();
    await page(true);
    const select = $('#history-technique');
    const kept = select.value;
    clear(select).append(...[...techniques].sort().map((t) => el('option', { value: t }, t.replace(/_/g, ' '))));
    if (!techniques.size) select.append(el('option', { value: '' }, 'No analysed technique yet'));
    if (techniques.has(kept)) select.value = kept;
    await showTechnique(select.value);
  } catch (error) {
    showError($('#history-error'), error);
  }
}
