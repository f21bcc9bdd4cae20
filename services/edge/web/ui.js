// Small DOM helpers shared by the views: element building (text only, never HTML strings: what the API
// returns is data, not markup), messages, formatting, the reliability badge.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

// An error (or message) in its role=alert paragraph; null hides it.
export function showError(node, error) {
  const text = error ? (error.message || String(error)) : '';
  node.textContent = text;
  node.hidden = !text;
}

let noticeTimer = null;
export function notice(text, { sticky = false } = {}) {
  const node = $('#notice');
  node.textContent = text;
  node.hidden = !text;
  clearTimeout(noticeTimer);
  if (text && !sticky) noticeTimer = setTimeout(() => { node.hidden = true; }, 6000);
}

export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
export const score = (value) => (value === null || value === undefined || Number.isNaN(value) ? '–' : Number(value).toFixed(1));

// How far a figure can be trusted, beside it: the verdict in words (not colour alone), then why.
export function badge(verdict, reasons = []) {
  const label = { reliable: 'reliable', uncertain: 'uncertain', unreliable: 'unreliable',
    not_measured: 'not measured' }[verdict] || 'reliability not reported';
  const why = reasons.filter(Boolean).join('; ');
  return el('span', { class: 'trust' }, el('span', { class: `badge badge-${verdict || 'none'}` }, label),
    why ? el('span', { class: 'why' }, ` ${why}`) : null);
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// A canvas drawn at the device's pixel density, sized by its CSS box; returns its context and CSS size.
export function hiDpi(canvas, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = cssHeight || canvas.clientHeight || 150;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width, height };
}
