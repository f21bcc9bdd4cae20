// Live mode: camera frames to WS /ws/live (JPEG after an 8-byte capture time, services/edge/routes/ws_live.py),
// the newest skeleton drawn over the camera at the camera's own rate, feedback after each repetition.
// A dropped socket is reconnected (a few times, then a clear message); frames are skipped, never queued,
// while the socket is behind.
import { loadCoaches } from './analyse.js';
import { CLOSE_UNAUTHENTICATED, signInAgain, socket } from './api.js';
import { cameraProblem, openCamera } from './camera.js';
import { drawSkeleton, toPoints } from './skeleton.js';
import { $, badge, clear, el, score, showError } from './ui.js';

const MAX_WIDTH = 640; // sent frames at most this wide: the pose model looks at 256 x 256 anyway
const MAX_BUFFERED = 512 * 1024; // bytes waiting in the socket beyond which a frame is skipped
const RECONNECTS = 3;

let stream = null;
let ws = null;
let stopping = true;
let latest = null;
let encoding = false;
let reconnects = 0;
let counts = { sent: 0, drawn: 0 };
const encoder = document.createElement('canvas');
const video = () => $('#live-video');
const errorNode = () => $('#live-error');
const status = (text) => { $('#live-status').textContent = text; };

function startMessage() {
  const message = { action: 'start_live' };
  if ($('#live-coach').value) message.coach = $('#live-coach').value;
  if ($('#live-technique').value.trim()) message.technique = $('#live-technique').value.trim();
  return message;
}

function feedback(rep) {
  const item = el('li', { class: 'rep-feedback' },
    el('strong', {}, `Repetition ${rep.repetition}${rep.technique ? `, ${rep.technique.replace(/_/g, ' ')}` : ''}: `),
    `score ${score(rep.overall_score)} / 10, peak ${(rep.effector || 'speed').replace(/_/g, ' ')} speed `,
    `${Number(rep.peak_speed_m_s).toFixed(1)} m/s `, badge(rep.speed_verdict, rep.speed_reasons || []),
    rep.top_correction ? el('p', {}, rep.top_correction) : null);
  $('#live-feedback').prepend(item);
}

async function connect() {
  ws = await socket('/ws/live');
  ws.binaryType = 'arraybuffer';
  const mine = ws;
  ws.onopen = () => { mine.send(JSON.stringify(startMessage())); status('Connected: move in front of the camera.'); };
  ws.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'landmarks') {
      latest = m;
      reconnects = 0;
      status(`${counts.sent} frames sent · pose found: ${m.detected ? 'yes' : 'no'} · ${m.processing_ms} ms per frame`
        + ` · ${m.dropped_frames} skipped by the server`);
    } else if (m.type === 'repetition') {
      feedback(m.data);
    } else if (m.type === 'error') {
      showError(errorNode(), m.error.message);
    }
  };
  ws.onclose = async (event) => {
    if (mine !== ws || stopping) return;
    if (event.code === CLOSE_UNAUTHENTICATED) {
      await signInAgain();
      connect();
    } else if (reconnects < RECONNECTS) {
      reconnects += 1;
      status(`The live connection dropped. Reconnecting (attempt ${reconnects} of ${RECONNECTS})…`);
      setTimeout(() => { if (!stopping) connect(); }, 800 * reconnects);
    } else {
      showError(errorNode(), 'The live connection was lost and could not be restored. Press Start to try again.');
      stop();
    }
  };
}

function send(captureMs) {
  const v = video();
  if (encoding || !ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED || !v.videoWidth) return;
  encoding = true;
  const k = Math.min(1, MAX_WIDTH / v.videoWidth);
  encoder.width = Math.round(v.videoWidth * k);
  encoder.height = Math.round(v.videoHeight * k);
  encoder.getContext('2d').drawImage(v, 0, 0, encoder.width, encoder.height);
  encoder.toBlob(async (blob) => {
    try {
      if (!blob || !ws || ws.readyState !== WebSocket.OPEN) return;
      const image = new Uint8Array(await blob.arrayBuffer());
      const frame = new Uint8Array(8 + image.length);
      new DataView(frame.buffer).setFloat64(0, captureMs, false); // big-endian capture time, ms
      frame.set(image, 8);
      ws.send(frame);
      counts.sent += 1;
    } finally {
      encoding = false;
    }
  }, 'image/jpeg', 0.8);
}

function draw() {
  const v = video();
  const canvas = $('#live-overlay');
  if (canvas.width !== v.videoWidth || canvas.height !== v.videoHeight) {
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
  }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (latest && latest.detected) {
    drawSkeleton(ctx, toPoints(latest.landmarks), canvas.width, canvas.height);
    counts.drawn += 1;
    canvas.dataset.drawn = String(counts.drawn);
  }
}

// Once per camera frame: draw the newest skeleton, send this frame.
function onFrame(now, meta) {
  if (!stream) return;
  draw();
  send(meta.captureTime || now);
  video().requestVideoFrameCallback(onFrame);
}

async function start(event) {
  event.preventDefault();
  showError(errorNode(), null);
  try {
    stream = await openCamera({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (error) {
    showError(errorNode(), cameraProblem(error));
    return;
  }
  stopping = false;
  reconnects = 0;
  counts = { sent: 0, drawn: 0 };
  latest = null;
  clear($('#live-feedback'));
  video().srcObject = stream;
  await video().play().catch(() => {});
  $('#live-start').disabled = true;
  $('#live-stop').disabled = false;
  video().requestVideoFrameCallback(onFrame);
  await connect();
}

// Stops the camera; the socket stays open for the last repetition's feedback, which the server sends
// before closing (at most a few seconds).
export function stop() {
  if (stopping && !stream) return;
  stopping = true;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  video().srcObject = null;
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify({ action: 'stop' }));
    const last = ws;
    setTimeout(() => last.close(1000), 10000);
  }
  $('#live-start').disabled = false;
  $('#live-stop').disabled = true;
  status('Stopped.');
}

export function initLive() {
  $('#live-form').addEventListener('submit', start);
  $('#live-stop').addEventListener('click', stop);
}

export async function enterLive() {
  try {
    await loadCoaches($('#live-coach'), { optional: true });
  } catch (error) {
    showError(errorNode(), error);
  }
}
