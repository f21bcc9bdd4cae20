// The result's player: the student's video (or, without it, a clock) with the skeleton of each analysed
// frame drawn over it, slow motion, frame stepping, the timeline of repetitions and phases, and the coach's
// reference in step (beside, or ghosted over), as the analysis' timeline aligned it (DTW path).
import { $, clear, el, seconds } from './ui.js';
import { PHASE_COLORS } from './charts.js';
import { REFERENCE_COLOR, STUDENT_COLOR, drawSkeleton, fitMap, overlayMap, toPoints } from './skeleton.js';

// Stands in for the video when the file is not at hand: same interface, driven by animation frames.
class Clock {
  constructor(durationS) {
    this.currentTime = 0; this.duration = durationS; this.paused = true; this.playbackRate = 1;
    this.listeners = new Set();
  }

  play() {
    this.paused = false;
    let last = performance.now();
    const tick = (now) => {
      if (this.paused) return;
      this.currentTime = Math.min(this.duration, this.currentTime + ((now - last) / 1000) * this.playbackRate);
      last = now;
      if (this.currentTime >= this.duration) this.paused = true;
      this.listeners.forEach((f) => f());
      if (!this.paused) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return Promise.resolve();
  }

  pause() { this.paused = true; this.listeners.forEach((f) => f()); }

  seek(s) { this.currentTime = Math.max(0, Math.min(this.duration, s)); this.listeners.forEach((f) => f()); }
}

export class Player {
  constructor() {
    this.video = $('#result-video');
    this.overlay = $('#overlay');
    this.refCanvas = $('#reference-canvas');
    this.scrub = $('#scrub');
    this.frameListeners = new Set();
    this.mode = 'off';
    this.clock = null;
    this.timeline = null;
    this.drawnFrame = -1;
    this.wire();
  }

  wire() {
    $('#play').addEventListener('click', () => this.toggle());
    $('#step-back').addEventListener('click', () => this.step(-1));
    $('#step-forward').addEventListener('click', () => this.step(1));
    $('#speed').addEventListener('change', (e) => this.setRate(Number(e.target.value)));
    $('#compare-mode').addEventListener('change', (e) => this.setMode(e.target.value));
    this.scrub.addEventListener('input', () => this.seekFrame(Number(this.scrub.value)));
    $('#player-box').addEventListener('keydown', (e) => {
      if (e.target !== e.currentTarget) return;
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') { e.preventDefault(); this.step(e.key === 'ArrowLeft' ? -1 : 1); }
      if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); this.toggle(); }
    });
    for (const name of ['seeked', 'pause', 'play', 'loadeddata']) {
      this.video.addEventListener(name, () => this.render());
    }
    this.video.addEventListener('loadedmetadata', () => {
      if (!this.sizeGiven) this.setSize(null);
      this.fit();
    });
    window.addEventListener('resize', () => this.render(true));
  }

  // timeline: the analysis' "timeline" or null; videoUrl: the student's file, or null.
  load(timeline, videoUrl) {
    this.timeline = timeline;
    this.times = timeline ? timeline.frame_times_ms : [];
    this.points = timeline ? timeline.landmarks.map(toPoints) : [];
    const ref = timeline && timeline.reference;
    this.refPoints = ref ? ref.landmarks.map(toPoints) : [];
    // The reference frame the DTW path matched to each frame (none outside the compared repetitions).
    this.refFrame = ref ? new Map((ref.alignment || []).map(([i, j]) => [i, j])) : new Map();
    this.setSize(timeline && timeline.image_size);
    this.scrub.max = String(Math.max(0, this.times.length - 1));
    this.scrub.disabled = !this.times.length;
    $('#compare-mode').disabled = !ref;
    $('#compare-mode').value = ref ? this.mode : 'off';
    this.setMode($('#compare-mode').value);
    this.pause();
    this.clock = null;
    this.video.hidden = !videoUrl;
    if (videoUrl) {
      this.video.src = videoUrl;
    } else {
      this.video.removeAttribute('src');
      this.video.load();
      this.clock = new Clock((this.times[this.times.length - 1] || 0) / 1000 + 0.05);
      this.clock.listeners.add(() => this.render());
    }
    this.overlay.classList.toggle('alone', !videoUrl);
    this.setRate(Number($('#speed').value));
    this.drawMarks();
    this.fit();
    this.watchFrames();
  }

  // The analysed image's pixels (0 x 0 when the poses came without images: the video's own size then).
  setSize(size) {
    const given = size && size.width > 0 && size.height > 0;
    this.width = given ? size.width : this.video.videoWidth || 640;
    this.height = given ? size.height : this.video.videoHeight || 360;
    this.sizeGiven = given;
    const ref = this.timeline && this.timeline.reference;
    const refSize = ref && ref.image_size && ref.image_size.width > 0 ? ref.image_size : null;
    this.refAspect = refSize ? refSize.width / refSize.height : this.width / this.height;
    this.refFit = ref ? fitMap(this.refPoints, this.refAspect, this.width / this.height) : null;
  }

  get media() { return this.clock || this.video; }

  get timeMs() { return this.media.currentTime * 1000; }

  // The frame on screen at a time: the last analysed frame at or before it (as a video shows frames).
  frameAt(ms) {
    const t = this.times;
    if (!t.length) return -1;
    let lo = 0; let hi = t.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t[mid] <= ms + 0.5) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  seekMs(ms) {
    if (this.clock) this.clock.seek(ms / 1000);
    else this.video.currentTime = ms / 1000;
    this.render();
  }

  // Lands inside the frame (a quarter of a frame after its start), so the video shows that frame.
  seekFrame(i) {
    if (!this.times.length) return;
    const k = Math.max(0, Math.min(this.times.length - 1, i));
    const gap = k + 1 < this.times.length ? this.times[k + 1] - this.times[k] : 0;
    this.pause();
    this.seekMs(this.times[k] + gap / 4);
  }

  step(delta) { this.seekFrame(this.frameAt(this.timeMs) + delta); }

  toggle() { if (this.media.paused) this.media.play().catch(() => {}); else this.pause(); }

  pause() { if (!this.media.paused) this.media.pause(); }

  setRate(rate) { this.media.playbackRate = rate; }

  setMode(mode) {
    this.mode = mode;
    $('#reference-box').hidden = mode !== 'beside';
    this.fit();
  }

  // The canvases take the analysed image's size, so that a landmark at (x, y) is pixel (x*W, y*H).
  fit() {
    this.overlay.width = this.width;
    this.overlay.height = this.height;
    this.refCanvas.width = this.width;
    this.refCanvas.height = this.height;
    this.render(true);
  }

  // While playing, redraw on every presented video frame (requestVideoFrameCallback, with that frame's own
  // time); while paused, the seek target decides (a late callback of an earlier seek must not undo a step).
  watchFrames() {
    if (this.watching) return;
    this.watching = true;
    if (!('requestVideoFrameCallback' in HTMLVideoElement.prototype)) { // older browsers: animation frames
      const tick = () => { if (!this.video.paused) { this.render(); requestAnimationFrame(tick); } };
      this.video.addEventListener('play', () => requestAnimationFrame(tick));
      return;
    }
    const onFrame = (now, meta) => {
      if (!this.video.paused) this.render(false, meta.mediaTime * 1000);
      this.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
  }

  render(force = false, atMs = null) {
    const i = this.frameAt(atMs ?? this.timeMs);
    $('#play').textContent = this.media.paused ? 'Play' : 'Pause';
    if (i === this.drawnFrame && !force) return;
    this.drawnFrame = i;
    this.scrub.value = String(Math.max(0, i));
    const ms = i >= 0 ? this.times[i] : this.timeMs;
    $('#time-readout').textContent = `${seconds(this.timeMs)} · frame ${i + 1} of ${this.times.length}`;
    const ctx = this.overlay.getContext('2d');
    ctx.clearRect(0, 0, this.width, this.height);
    if (this.clock) { ctx.fillStyle = '#101820'; ctx.fillRect(0, 0, this.width, this.height); }
    const student = i >= 0 ? this.points[i] : [];
    const reference = i >= 0 && this.refPoints.length ? this.refPoints[i] || [] : [];
    if (this.mode === 'ghost' && reference.length) {
      const map = overlayMap(reference, student, this.refAspect, this.width / this.height);
      if (map) drawSkeleton(ctx, reference, this.width, this.height, { color: REFERENCE_COLOR, alpha: 0.6, map });
    }
    drawSkeleton(ctx, student, this.width, this.height, { color: STUDENT_COLOR });
    this.overlay.dataset.frame = String(i);
    if (this.mode === 'beside') this.drawReference(reference, i);
    this.marker(ms);
    this.frameListeners.forEach((f) => f(ms, i));
  }

  drawReference(points, i) {
    const ctx = this.refCanvas.getContext('2d');
    ctx.fillStyle = '#101820';
    ctx.fillRect(0, 0, this.width, this.height);
    if (this.refFit) drawSkeleton(ctx, points, this.width, this.height, { color: REFERENCE_COLOR, map: this.refFit });
    const ref = this.timeline.reference;
    const j = this.refFrame.get(i);
    const matched = ref.aligned ? ref.aligned[i] : j !== undefined;
    const at = j !== undefined && ref.frame_times_ms ? ` at ${seconds(ref.frame_times_ms[j])}` : '';
    const mirrored = (ref.repetitions || []).some((m) => m.mirrored) ? ', mirrored to your side' : '';
    $('#reference-caption').textContent = `Coach's reference${at}: ${matched ? 'matched to this frame'
      : 'between repetitions, running at your pace'}${mirrored}`;
  }

  // Repetitions and their phases as buttons on the timeline (Enter or a click goes there).
  drawMarks() {
    const marks = clear($('#timeline-marks'));
    const reps = (this.timeline && this.timeline.repetitions) || [];
    const t0 = this.times[0] || 0;
    const span = (this.times[this.times.length - 1] || 1) - t0 || 1;
    const place = (node, start, end) => {
      node.style.left = `${((start - t0) / span) * 100}%`;
      node.style.width = `${Math.max(0.8, ((end - start) / span) * 100)}%`;
      return node;
    };
    for (const rep of reps) {
      const row = el('div', { class: 'rep', role: 'group', 'aria-label': `Repetition ${rep.index}` });
      place(row, rep.start_ms, rep.end_ms);
      for (const phase of (rep.phases || []).filter((p) => p.end_ms > p.start_ms)) {
        const button = el('button', { type: 'button', class: `phase phase-${phase.name}`,
          'aria-label': `Repetition ${rep.index}, ${phase.name}, ${seconds(phase.start_ms)} to ${seconds(phase.end_ms)}`,
          title: `${phase.name} ${seconds(phase.start_ms)}–${seconds(phase.end_ms)}`,
          onclick: () => { this.pause(); this.seekMs(phase.start_ms); } }, phase.name);
        button.style.background = PHASE_COLORS[phase.name] || '';
        const inner = (rep.end_ms - rep.start_ms) || 1;
        button.style.left = `${((phase.start_ms - rep.start_ms) / inner) * 100}%`;
        button.style.width = `${((phase.end_ms - phase.start_ms) / inner) * 100}%`;
        row.append(button);
      }
      marks.append(row);
    }
    this.playhead = el('div', { class: 'playhead', 'aria-hidden': 'true' });
    marks.append(this.playhead);
    this.span = { t0, span };
  }

  marker(ms) {
    if (this.playhead && this.span) this.playhead.style.left = `${((ms - this.span.t0) / this.span.span) * 100}%`;
  }
}
