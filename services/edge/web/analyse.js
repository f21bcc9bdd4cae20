// Analyse: a video file (or one recorded with the camera), a coach, a technique or none (recognised), and
// the progress of WS /ws/analyze as a bar. A dropped socket is reconnected and the analysis sent again
// (the server stops an analysis whose socket closed, so nothing is done twice); a video too large for one
// socket message goes as a multipart POST /analyze instead, with upload progress.
import { ApiError, CLOSE_UNAUTHENTICATED, request, signInAgain, socket, upload } from './api.js';
import { cameraProblem, openCamera } from './camera.js';
import { remember, videos } from './result.js';
import { $, clear, el, showError } from './ui.js';

const WS_MAX_MESSAGE = 16 * 1024 * 1024 - 4096; // the edge's ws_max_message_bytes, less the JSON around
const ATTEMPTS = 3;

class Dropped extends Error {}
class Cancelled extends Error {}

let chosen = null; // {blob, name}
let recording = null; // {recorder, stream, chunks}
let active = null; // the socket of the running analysis
let cancelled = false;
let coaches = [];

const errorNode = () => $('#analyse-error');
const stage = (text) => { $('#analyse-stage').textContent = text; };
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

function choose(blob, name) {
  chosen = { blob, name };
  $('#analyse-chosen').textContent = `Video: ${name} (${(blob.size / 1e6).toFixed(1)} MB)`;
}

async function startRecording() {
  showError(errorNode(), null);
  let stream;
  try {
    stream = await openCamera({ video: true, audio: false });
  } catch (error) {
    showError(errorNode(), cameraProblem(error));
    return;
  }
  const preview = $('#record-preview');
  preview.srcObject = stream;
  preview.hidden = false;
  await preview.play().catch(() => {});
  const recorder = new MediaRecorder(stream);
  recording = { recorder, stream, chunks: [] };
  recorder.ondataavailable = (e) => { if (e.data.size) recording.chunks.push(e.data); };
  recorder.onstop = () => {
    const blob = new Blob(recording.chunks, { type: recorder.mimeType || 'video/webm' });
    stream.getTracks().forEach((t) => t.stop());
    preview.srcObject = null;
    preview.hidden = true;
    recording = null;
    choose(blob, 'recording.webm');
  };
  recorder.start();
  $('#record-start').disabled = true;
  $('#record-stop').disabled = false;
  $('#record-stop').focus();
}

function stopRecording() {
  if (recording) recording.recorder.stop();
  $('#record-start').disabled = false;
  $('#record-stop').disabled = true;
}

function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1] || '');
    reader.onerror = () => reject(new Error('The video file could not be read'));
    reader.readAsDataURL(blob);
  });
}

// One try over one socket: resolves with the "complete" message's data.
async function once(message) {
  const ws = await socket('/ws/analyze');
  active = ws;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (f, value) => { if (!settled) { settled = true; f(value); } };
    ws.onopen = () => ws.send(JSON.stringify(message));
    ws.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === 'status' && m.status === 'cancelled') settle(reject, new Cancelled());
      else if (m.type === 'status') {
        $('#analyse-progress').value = m.progress;
        stage(`${Math.round(m.progress * 100)} %: ${m.message}`);
      } else if (m.type === 'error') {
        settle(reject, new ApiError(m.error.code === 'unauthorized' ? 401 : 400, { error: m.error }));
        ws.close(1000);
      } else if (m.type === 'complete') {
        settle(resolve, m.data);
        ws.close(1000);
      }
    };
    ws.onclose = (event) => {
      if (event.code === CLOSE_UNAUTHENTICATED) settle(reject, new ApiError(401, null));
      settle(reject, cancelled ? new Cancelled() : new Dropped(`closed with code ${event.code}`));
    };
  });
}

async function overSocket(fields) {
  stage('Reading the video…');
  const message = { action: 'start_analysis', video_url: await base64(chosen.blob), ...fields };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await once(message);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        await signInAgain(); // the session ended: sign in again, then the same analysis is sent again
        attempt -= 1;
      } else if (!(error instanceof Dropped)) {
        throw error;
      } else if (attempt >= ATTEMPTS) {
        throw new Error('The connection to the server was lost and could not be restored. Check the network, '
          + 'then press Analyse again.');
      } else {
        $('#analyse-progress').value = 0;
        stage(`The connection was lost. Reconnecting (attempt ${attempt + 1} of ${ATTEMPTS})…`);
        await sleep(700 * attempt);
      }
    }
  }
}

async function overUpload(fields) {
  const form = new FormData();
  form.append('file', chosen.blob, chosen.name);
  for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
  stage('Uploading…');
  const progress = $('#analyse-progress');
  const analysis = await upload('/analyze', form, (share) => { progress.value = share * 0.3; });
  return { analysis_id: analysis.id, analysis };
}

function busy(on) {
  $('#analyse-submit').disabled = on;
  $('#analyse-cancel').hidden = !on;
  if (!on) active = null;
}

async function analyse(event) {
  event.preventDefault();
  showError(errorNode(), null);
  if (!chosen) { showError(errorNode(), 'Choose a video file, or record one, first.'); return; }
  const coach = $('#analyse-coach').value;
  if (!coach) { showError(errorNode(), 'Choose a coach first.'); return; }
  const fields = { coach, verbose: true };
  const technique = $('#analyse-technique').value.trim();
  if (technique) fields.technique = technique;
  const mass = $('#analyse-mass').value;
  if (mass) fields.body_mass_kg = Number(mass);
  cancelled = false;
  busy(true);
  $('#analyse-progress').value = 0;
  try {
    const small = (chosen.blob.size * 4) / 3 < WS_MAX_MESSAGE;
    const done = small ? await overSocket(fields) : await overUpload(fields);
    stage('Done. Loading the result…');
    const analysis = done.analysis || await request('GET', `/analyses/${encodeURIComponent(done.analysis_id)}`);
    videos.set(analysis.id, URL.createObjectURL(chosen.blob));
    remember(analysis, done.timeline || analysis.timeline);
    $('#analyse-progress').value = 1;
    stage('');
    location.hash = `#/result/${analysis.id}`;
  } catch (error) {
    if (error instanceof Cancelled) stage('Cancelled.');
    else { stage(''); showError(errorNode(), error); }
    $('#analyse-progress').value = 0;
  } finally {
    busy(false);
  }
}

function cancel() {
  cancelled = true;
  if (active && active.readyState === WebSocket.OPEN) active.send(JSON.stringify({ action: 'cancel_analysis' }));
}

function techniquesOf(coachId) {
  const coach = coaches.find((c) => c.id === coachId);
  clear($('#analyse-techniques')).append(...((coach && coach.techniques) || []).map((t) => el('option', { value: t })));
}

export function initAnalyse() {
  $('#analyse-file').addEventListener('change', (e) => { if (e.target.files[0]) choose(e.target.files[0], e.target.files[0].name); });
  $('#record-start').addEventListener('click', startRecording);
  $('#record-stop').addEventListener('click', stopRecording);
  $('#analyse-coach').addEventListener('change', (e) => techniquesOf(e.target.value));
  $('#analyse-form').addEventListener('submit', analyse);
  $('#analyse-cancel').addEventListener('click', cancel);
}

// The coach choices (for this view and live mode), keeping what was selected.
export async function loadCoaches(select, { optional = false } = {}) {
  const kept = select.value;
  coaches = (await request('GET', '/coaches', { query: { limit: 500 } })).coaches;
  const options = coaches.map((c) => el('option', { value: c.id }, `${c.name} (${c.style})`));
  if (optional) options.unshift(el('option', { value: '' }, 'No coach'));
  if (!options.length) options.push(el('option', { value: '' }, 'No coach is registered yet'));
  clear(select).append(...options);
  if (kept && [...select.options].some((o) => o.value === kept)) select.value = kept;
  return coaches;
}

export async function enterAnalyse() {
  try {
    await loadCoaches($('#analyse-coach'));
    techniquesOf($('#analyse-coach').value);
  } catch (error) {
    showError(errorNode(), error);
  }
}
