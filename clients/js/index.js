'use strict';
// KataForge API client: Node 20's (and browsers') own fetch, FormData, Blob and WebSocket; no dependencies.
// Node 20 has WebSocket behind --experimental-websocket (22+: always); or pass one as options.WebSocket.
// The calls mirror the Python SDK (kataforge/client_calls.py), in camelCase.

class KataForgeError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(`${status} ${error.code || 'unknown'}: ${error.message || JSON.stringify(body)}`);
    this.name = 'KataForgeError';
    this.status = status;
    this.code = error.code || 'unknown';
    this.details = error.details || {};
    this.body = body;
  }
}

// Fields left undefined or null are not sent: the server's defaults apply.
function clean(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

function query(params) {
  const given = clean(params);
  const text = new URLSearchParams(Object.entries(given).map(([k, v]) => [k, String(v)])).toString();
  return text ? `?${text}` : '';
}

class Client {
  constructor({ baseUrl = 'http://localhost:8000', apiKey, token, WebSocket: Socket, fetch: fetchImpl } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.token = token;
    this.refreshToken = null;
    this._fetch = fetchImpl || globalThis.fetch.bind(globalThis);
    this._WebSocket = Socket || globalThis.WebSocket;
  }

  _headers() {
    if (this.token) return { Authorization: `Bearer ${this.token}` };
    if (this.apiKey) return { 'X-API-Key': this.apiKey };
    return {};
  }

  async _request(method, path, { json, form, headers } = {}) {
    const init = { method, headers: { ...this._headers(), ...clean(headers || {}) } };
    if (json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    } else if (form !== undefined) {
      init.body = form; // FormData or URLSearchParams: fetch sets the content type
    }
    const response = await this._fetch(this.baseUrl + path, init);
    const text = await response.text();
    let body;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: { code: 'invalid_response', message: text.slice(0, 200) } };
    }
    if (!response.ok) throw new KataForgeError(response.status, body);
    return body;
  }

  // ---- authentication -------------------------------------------------------------------------------
  async login(username, password) {
    const tokens = await this._request('POST', '/auth/login', { form: new URLSearchParams({ username, password }) });
    this.token = tokens.access_token;
    this.refreshToken = tokens.refresh_token || null;
    return tokens;
  }

  async refresh() {
    const tokens = await this._request('POST', '/auth/refresh', { json: { refresh_token: this.refreshToken } });
    this.token = tokens.access_token;
    this.refreshToken = tokens.refresh_token || null;
    return tokens;
  }

  async logout() {
    const result = await this._request('POST', '/auth/logout', { json: { refresh_token: this.refreshToken } });
    this.token = this.refreshToken = null;
    return result;
  }

  register({ username, email, password, ...fields }) {
    return this._request('POST', '/auth/register', { json: { username, email, password, ...fields } });
  }

  profile() { return this._request('GET', '/auth/profile'); }
  updateProfile(fields) { return this._request('PUT', '/auth/profile', { json: fields }); }
  createApiKey(name = '') { return this._request('POST', '/auth/api-keys', { json: { name } }); }
  listApiKeys() { return this._request('GET', '/auth/api-keys'); }
  revokeApiKey(keyId) { return this._request('DELETE', `/auth/api-keys/${encodeURIComponent(keyId)}`); }

  // ---- analysis -------------------------------------------------------------------------------------
  // videoUrl: an http(s) URL or base64 data.
  analyze({ videoUrl, coach, technique, verbose, bodyMassKg, device, llmBackend, idempotencyKey }) {
    return this._request('POST', '/analyze', {
      json: clean({ video_url: videoUrl, coach, technique, verbose, body_mass_kg: bodyMassKg, device,
        llm_backend: llmBackend }),
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  // file: a Blob (a browser's File) or a Node Buffer.
  analyzeFile({ file, filename = 'video.mp4', coach, technique, verbose, bodyMassKg, device, llmBackend }) {
    const form = new FormData();
    form.append('file', file instanceof Blob ? file : new Blob([file], { type: 'video/mp4' }), filename);
    const fields = clean({ coach, technique, verbose, body_mass_kg: bodyMassKg, device, llm_backend: llmBackend });
    for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
    return this._request('POST', '/analyze', { form });
  }

  batchAnalyze({ videos, parallel = true, maxWorkers, device, bodyMassKg }) {
    return this._request('POST', '/batch_analyze', {
      json: clean({ videos, parallel, max_workers: maxWorkers, device, body_mass_kg: bodyMassKg }),
    });
  }

  getAnalysis(id) { return this._request('GET', `/analyses/${encodeURIComponent(id)}`); }

  listAnalyses({ coach, technique, from, to, limit, cursor } = {}) {
    return this._request('GET', `/analyses${query({ coach, technique, from, to, limit, cursor })}`);
  }

  progress({ technique, coach }) {
    return this._request('GET', `/analyses/progress${query({ technique, coach })}`);
  }

  // Follows an analysis over WS /ws/analyze: onMessage gets every message (status with its progress,
  // biomechanics, score, each correction, complete); resolves with the stored analysis.
  analyzeWithProgress({ videoUrl, coach, technique, verbose, bodyMassKg, device, llmBackend, onMessage }) {
    if (!this._WebSocket) {
      return Promise.reject(new Error('No WebSocket: run Node 20 with --experimental-websocket, or pass options.WebSocket'));
    }
    const url = this.baseUrl.replace(/^http/, 'ws') + '/ws/analyze';
    // A browser's WebSocket cannot set headers: the token goes as the subprotocols "bearer, <token>".
    const socket = this.token ? new this._WebSocket(url, ['bearer', this.token])
      : new this._WebSocket(this.apiKey ? `${url}?api_key=${encodeURIComponent(this.apiKey)}` : url);
    return new Promise((resolve, reject) => {
      let settled = false;
      socket.onopen = () => socket.send(JSON.stringify(clean({
        action: 'start_analysis', video_url: videoUrl, coach, technique, verbose, body_mass_kg: bodyMassKg,
        device, llm_backend: llmBackend })));
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (onMessage) onMessage(message);
        if (message.type === 'error') {
          settled = true;
          socket.close();
          reject(new KataForgeError(0, message));
        } else if (message.type === 'complete') {
          settled = true;
          socket.close();
          this.getAnalysis(message.data.analysis_id).then(resolve, reject);
        }
      };
      socket.onclose = (event) => {
        if (!settled) reject(new Error(`The socket closed (code ${event.code}) before the analysis completed`));
      };
      socket.onerror = () => {
        if (!settled) { settled = true; reject(new Error('The WebSocket connection failed')); }
      };
    });
  }

  // ---- durable batch jobs ---------------------------------------------------------------------------
  submitBatch({ videos, device, bodyMassKg, idempotencyKey }) {
    return this._request('POST', '/batch/submit', {
      json: clean({ videos, device, body_mass_kg: bodyMassKg }), headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  batchStatus(id) { return this._request('GET', `/batch/status/${encodeURIComponent(id)}`); }
  batchResults(id) { return this._request('GET', `/batch/results/${encodeURIComponent(id)}`); }
  cancelBatch(id) { return this._request('DELETE', `/batch/cancel/${encodeURIComponent(id)}`); }
  listBatches({ limit, cursor } = {}) { return this._request('GET', `/batch/list${query({ limit, cursor })}`); }

  async waitForBatch(id, { pollMs = 1000, timeoutMs = 3600000, onProgress } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.batchStatus(id);
      if (onProgress) onProgress(status);
      if (status.finished_at) return this.batchResults(id);
      if (Date.now() > deadline) throw new Error(`batch ${id} still ${status.status} after ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, pollMs));
    }
  }

  // ---- coaches and references -----------------------------------------------------------------------
  async listCoaches() { return (await this._request('GET', '/coaches')).coaches; }
  getCoach(id) { return this._request('GET', `/coaches/${encodeURIComponent(id)}`); }
  createCoach(fields) { return this._request('POST', '/coaches', { json: fields }); }
  updateCoach(id, fields) { return this._request('PUT', `/coaches/${encodeURIComponent(id)}`, { json: fields }); }
  deleteCoach(id) { return this._request('DELETE', `/coaches/${encodeURIComponent(id)}`); }

  addReference(coachId, { technique, videoUrl, poseSequence, name, bodyMassKg }) {
    return this._request('POST', `/coaches/${encodeURIComponent(coachId)}/references`, {
      json: clean({ technique, video_url: videoUrl, pose_sequence: poseSequence, name, body_mass_kg: bodyMassKg }),
    });
  }

  listReferences(coachId, filters = {}) {
    return this._request('GET', `/coaches/${encodeURIComponent(coachId)}/references${query(filters)}`);
  }

  getReference(coachId, id) {
    return this._request('GET', `/coaches/${encodeURIComponent(coachId)}/references/${encodeURIComponent(id)}`);
  }

  deleteReference(coachId, id) {
    return this._request('DELETE', `/coaches/${encodeURIComponent(coachId)}/references/${encodeURIComponent(id)}`);
  }

  // ---- models and training --------------------------------------------------------------------------
  listModels({ coach } = {}) { return this._request('GET', `/models${query({ coach })}`); }
  train(fields) { return this._request('POST', '/models/train', { json: fields }); }
  getTraining(id) { return this._request('GET', `/models/train/${encodeURIComponent(id)}`); }
  cancelTraining(id) { return this._request('POST', `/models/train/${encodeURIComponent(id)}/cancel`, { json: {} }); }

  // ---- system ---------------------------------------------------------------------------------------
  health() { return this._request('GET', '/'); }
  systemHealth() { return this._request('GET', '/system/health'); }
  systemInfo() { return this._request('GET', '/system/info'); }
}

module.exports = { Client, KataForgeError };
