// The result of one analysis: scores (radar), measurements, each with how far it can be trusted (the
// analysis' details.quality), corrections that jump to their moment, curves with the coach's reference
// on the same axes, and the player (player.js).
import { request } from './api.js';
import { curveChart, radar } from './charts.js';
import { Player } from './player.js';
import { $, badge, clear, el, score, seconds, showError, when } from './ui.js';

const ASPECTS = ['speed', 'force', 'timing', 'balance', 'coordination'];
const MEASURES = [
  ['max_speed', 'Peak speed', 'm/s'], ['peak_force', 'Peak force', 'N'], ['mean_power', 'Mean power', 'W'],
  ['kinetic_chain_efficiency', 'Kinetic chain efficiency', '%'],
];
const SERIES_COLORS = ['#00798c', '#8e24aa', '#ef6c00', '#2e7d32'];
const REFERENCE_DASH_COLOR = '#b26a00';

// The student's own videos of this session, by analysis id (the server does not keep videos).
export const videos = new Map();
let player = null;
let charts = [];
let shown = null;

// Each figure's reliability: {verdict: reliable|uncertain|unreliable|not_measured|undefined, reasons}.
export function reliability(details) {
  const d = details || {};
  const quality = d.quality || {};
  const speed = quality.max_speed || {};
  const force = quality.peak_force || {};
  // The chain and balance follow the whole body: measured or not, then their verdict (details.quality
  // .kinetic_chain, which follows .performer, and .balance, with reasons of its own).
  const performer = quality.performer || {};
  const measured = (flag, why, how, judged) => {
    if (flag === undefined) return { verdict: undefined, reasons: [] };
    if (!flag) return { verdict: 'not_measured', reasons: [why] };
    const q = judged || {};
    if (q.verdict && q.verdict !== 'reliable') return { verdict: q.verdict, reasons: q.reasons || performer.reasons || [] };
    return { verdict: 'reliable', reasons: how ? [how] : [] };
  };
  const speedR = { verdict: speed.verdict, reasons: speed.reasons || [] };
  const forceR = { verdict: force.verdict, reasons: force.verdict && force.verdict !== 'reliable'
    ? (force.reasons && force.reasons.length ? force.reasons : ['it follows from the peak speed']) : [] };
  const chain = measured(d.chain_measured,
    d.chain_not_measured_because || 'the joints of the kinetic chain were not seen well enough', '', quality.kinetic_chain);
  const balance = measured(d.balance_measured, 'no settled stance was seen',
    d.balance_frames ? `from ${d.balance_frames} frames` : '', quality.balance);
  return { max_speed: speedR, peak_force: forceR, mean_power: forceR, kinetic_chain_efficiency: chain,
    speed: speedR, force: forceR, timing: chain, coordination: chain, balance };
}

function figure(label, value, unit, trust) {
  return el('li', {}, el('span', { class: 'figure-label' }, label), ' ',
    el('strong', { class: 'figure-value' }, value, unit ? ` ${unit}` : ''), ' ', badge(trust.verdict, trust.reasons));
}

function summary(analysis) {
  const d = analysis.details || {};
  const parts = [when(analysis.timestamp), analysis.video ? `video ${analysis.video}` : null,
    `coach ${analysis.coach}`];
  if (d.scored_against === 'coach_reference') {
    parts.push(`compared with the coach's reference${d.similarity_to_reference_pct != null
      ? ` (${Number(d.similarity_to_reference_pct).toFixed(0)} % similar)` : ''}`);
  } else if (d.comparison && d.comparison.reason) {
    parts.push(d.comparison.reason);
  }
  const r = analysis.recognition;
  if (r) parts.push(r.accepted ? `recognised as ${r.technique} (${(r.confidence * 100).toFixed(0)} %)` : r.note);
  return parts.filter(Boolean).join(' · ');
}

function drawScores(analysis, trust) {
  const aspects = analysis.metrics.aspect_scores || {};
  const axes = ASPECTS.map((name) => ({ label: name, value: aspects[name] ?? null, verdict: trust[name].verdict }));
  const canvas = $('#radar');
  radar(canvas, axes);
  canvas.setAttribute('aria-label', `Scores out of 10: ${axes.map((a) => `${a.label} ${score(a.value)}`).join(', ')}`);
  canvas.dataset.drawn = 'true';
  clear($('#scores')).append(
    figure('Overall', score(analysis.metrics.overall_score), '/ 10', { verdict: worst(ASPECTS.map((a) => trust[a].verdict)), reasons: [] }),
    ...axes.map((a) => figure(a.label, score(a.value), '/ 10', trust[a.label])));
}

function worst(verdicts) {
  const order = ['reliable', 'uncertain', 'unreliable'];
  const known = verdicts.filter((v) => order.includes(v));
  return known.length ? order[Math.max(...known.map((v) => order.indexOf(v)))] : undefined;
}

function drawMeasures(analysis, trust) {
  const bio = analysis.metrics.biomechanics || {};
  const d = analysis.details || {};
  const list = clear($('#measures'));
  for (const [key, label, unit] of MEASURES) list.append(figure(label, bio[key] ?? '–', unit, trust[key]));
  if (d.frames_total) {
    const share = d.frames_detected / d.frames_total;
    list.append(figure('Body seen in', `${d.frames_detected} of ${d.frames_total}`, 'frames',
      { verdict: share >= 0.9 ? 'reliable' : share >= 0.6 ? 'uncertain' : 'unreliable', reasons: [] }));
  }
  const faults = (d.quality && d.quality.effector_faults) || {};
  for (const [effector, why] of Object.entries(faults)) {
    list.append(el('li', { class: 'warn' }, `${effector.replace(/_/g, ' ')}: ${[].concat(why).join('; ')}`));
  }
}

function drawCorrections(analysis, timeline) {
  const list = clear($('#corrections'));
  const times = (timeline && timeline.correction_times_ms) || [];
  if (!analysis.corrections.length) list.append(el('li', { class: 'muted' }, 'No corrections: well done.'));
  analysis.corrections.forEach((text, i) => {
    const ms = times[i];
    if (ms === null || ms === undefined) {
      list.append(el('li', {}, text, el('span', { class: 'muted' }, ' (not tied to one moment)')));
      return;
    }
    list.append(el('li', {}, el('button', { type: 'button', class: 'link correction', 'data-ms': String(ms),
      onclick: () => { player.pause(); player.seekMs(ms); $('#player-box').scrollIntoView({ block: 'nearest' }); } },
    text, el('span', { class: 'when' }, ` at ${seconds(ms)}`))));
  });
  clear($('#recommendations')).append(...analysis.recommendations.map((r) => el('li', {}, r)));
}

// The curve first shown of each kind: the analysed effector's speed, and the angle of the joint that
// drives it (elbow for a hand, knee for a foot) on its side.
function defaults(analysis, timeline) {
  const d = analysis.details || {};
  const effector = d.effector || ((timeline.repetitions || [])[0] || {}).effector || 'right_wrist';
  const side = effector.startsWith('left') ? 'left' : 'right';
  const joint = /wrist|elbow|hand/.test(effector) ? 'elbow' : 'knee';
  return { 'm/s': `${effector}_speed`, deg: `${side}_${joint}_angle` };
}

function chooseCurves(analysis, timeline) {
  const wanted = defaults(analysis, timeline);
  for (const [unit, id] of [['m/s', '#curve-speed'], ['deg', '#curve-angle']]) {
    const names = timeline.series.filter((s) => s.unit === unit).map((s) => s.name);
    const select = $(id);
    clear(select).append(...names.map((n) => el('option', { value: n }, n.replace(/_(speed|angle)$/, '').replace(/_/g, ' '))));
    select.value = names.includes(wanted[unit]) ? wanted[unit] : names[0] || '';
    select.disabled = !names.length;
  }
}

function drawCurves(timeline) {
  const box = clear($('#curves'));
  charts = [];
  if (!timeline || !timeline.series || !timeline.series.length) {
    box.append(el('p', { class: 'muted' }, 'Curves are not available for this analysis.'));
    return;
  }
  const refSeries = new Map(((timeline.reference && timeline.reference.series) || []).map((s) => [s.name, s]));
  const spans = (timeline.repetitions || []).flatMap((r) => r.phases || []);
  const markers = (timeline.correction_times_ms || []).filter((t) => t !== null && t !== undefined);
  const chosen = [$('#curve-speed').value, $('#curve-angle').value];
  timeline.series.filter((s) => chosen.includes(s.name)).forEach((s, k) => {
    const title = s.name.replace(/_/g, ' ');
    const canvas = el('canvas', { class: 'curve', role: 'img', 'data-series': s.name, title: s.description || null,
      'aria-label': `${title} over time, in ${s.unit}${refSeries.has(s.name) ? ", with the coach's reference dashed" : ''}`
        + `${s.description ? `: ${s.description}` : ''}` });
    box.append(canvas);
    const series = [{ values: s.values, color: SERIES_COLORS[k % SERIES_COLORS.length], label: 'you' }];
    if (refSeries.has(s.name)) series.push({ values: refSeries.get(s.name).values, color: REFERENCE_DASH_COLOR, dashed: true });
    const chart = curveChart(canvas, { title: title[0].toUpperCase() + title.slice(1), unit: s.unit,
      timesMs: timeline.frame_times_ms, series, spans, markers });
    chart.draw(player.timeMs);
    canvas.dataset.drawn = 'true';
    canvas.addEventListener('click', (e) => {
      player.pause();
      player.seekMs(chart.msAt(e.offsetX));
    });
    charts.push(chart);
  });
}

function usable(timeline) {
  return timeline && Array.isArray(timeline.frame_times_ms) && timeline.frame_times_ms.length
    && Array.isArray(timeline.landmarks) ? timeline : null;
}

// Shows an analysis (its JSON as GET /analyses/{id} answers, plus the timeline when one came with it).
export function showResult(analysis, timelineGiven) {
  if (!player) {
    player = new Player();
    player.frameListeners.add((ms) => charts.forEach((c) => c.draw(ms)));
    $('#result-file').addEventListener('change', (e) => {
      const file = e.target.files[0];
      if (file && shown) { videos.set(shown.analysis.id, URL.createObjectURL(file)); showResult(shown.analysis, shown.timeline); }
    });
    window.addEventListener('resize', () => {
      if (!shown) return;
      drawScores(shown.analysis, reliability(shown.analysis.details));
      drawCurves(shown.timeline);
    });
    for (const id of ['#curve-speed', '#curve-angle']) {
      $(id).addEventListener('change', () => drawCurves(shown.timeline));
    }
  }
  const timeline = usable(timelineGiven || analysis.timeline);
  shown = { analysis, timeline };
  const r = analysis.recognition;
  const technique = analysis.technique || (r && r.accepted ? r.technique : 'unrecognised technique');
  $('#result-title').textContent = `${technique.replace(/_/g, ' ')}: ${score(analysis.metrics.overall_score)} / 10`;
  $('#result-summary').textContent = summary(analysis);
  $('#timeline-missing').hidden = Boolean(timeline);
  const video = videos.get(analysis.id) || null;
  $('#result-novideo').hidden = Boolean(video);
  player.load(timeline, video);
  const trust = reliability(analysis.details);
  drawScores(analysis, trust);
  drawMeasures(analysis, trust);
  drawCorrections(analysis, timeline);
  if (timeline) chooseCurves(analysis, timeline);
  drawCurves(timeline);
}

// Keeps a result that just came in (with its timeline), for #/result/<id> to show without asking again.
export function remember(analysis, timeline) {
  shown = { analysis, timeline: usable(timeline || analysis.timeline) };
}

// #/result/<id>: the stored analysis (its timeline, when the server keeps one).
export async function openResult(id, errorNode) {
  showError(errorNode, null);
  if (shown && shown.analysis.id === id) { showResult(shown.analysis, shown.timeline); return; }
  try {
    showResult(await request('GET', `/analyses/${encodeURIComponent(id)}`));
  } catch (error) {
    showError(errorNode, error);
  }
}
