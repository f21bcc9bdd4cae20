// Coach pages: the list, one coach's entry (edited by its owner), its references (added from a video,
// deleted) and the analyses made against it.
import { currentUser, request, upload } from './api.js';
import { $, clear, el, notice, score, showError, when } from './ui.js';

let coach = null;

const list = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);

function fields(form) {
  const data = Object.fromEntries(new FormData(form).entries());
  const out = { name: data.name, style: data.style, techniques: list(data.techniques || '') };
  if (data.id !== undefined) out.id = data.id.trim();
  out.rank = data.rank || null;
  out.years_experience = data.years_experience === '' ? null : Number(data.years_experience);
  return out;
}

function mayEdit(entry) {
  const me = currentUser();
  return Boolean(me && (me.role === 'admin' || (entry.owner_id && entry.owner_id === me.id)));
}

export async function enterCoaches() {
  showError($('#coaches-error'), null);
  const me = currentUser();
  $('#coach-create-box').hidden = !me || !['coach', 'admin'].includes(me.role);
  try {
    const { coaches } = await request('GET', '/coaches', { query: { limit: 500 } });
    clear($('#coach-list')).append(...coaches.map((c) => el('li', { class: 'card' },
      el('a', { href: `#/coaches/${c.id}` }, el('strong', {}, c.name)), ` · ${c.style}`, c.rank ? ` · ${c.rank}` : '',
      el('p', { class: 'muted' }, (c.techniques || []).join(', ') || 'No technique listed'))));
    if (!coaches.length) $('#coach-list').append(el('li', { class: 'muted' }, 'No coach is registered yet.'));
  } catch (error) {
    showError($('#coaches-error'), error);
  }
}

async function create(event) {
  event.preventDefault();
  showError($('#coach-create-error'), null);
  try {
    const made = await request('POST', '/coaches', { json: fields(event.target) });
    event.target.reset();
    location.hash = `#/coaches/${made.id}`;
  } catch (error) {
    showError($('#coach-create-error'), error);
  }
}

function showEntry(entry) {
  $('#coach-title').textContent = entry.name;
  const rows = [['Identifier', entry.id], ['Style', entry.style], ['Rank', entry.rank || '–'],
    ['Years of experience', entry.years_experience ?? '–'], ['Techniques', (entry.techniques || []).join(', ') || '–'],
    ['Teachers', (entry.teachers || []).join(', ') || '–']];
  clear($('#coach-entry')).append(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]));
  const editable = mayEdit(entry);
  $('#coach-edit-box').hidden = !editable;
  $('#reference-add').hidden = !editable;
  if (editable) {
    const form = $('#coach-edit');
    form.elements.name.value = entry.name;
    form.elements.style.value = entry.style;
    form.elements.rank.value = entry.rank || '';
    form.elements.years_experience.value = entry.years_experience ?? '';
    form.elements.techniques.value = (entry.techniques || []).join(', ');
  }
}

async function references() {
  const { references: refs } = await request('GET', `/coaches/${encodeURIComponent(coach.id)}/references`);
  const editable = mayEdit(coach);
  clear($('#reference-rows')).append(...refs.map((r) => el('tr', {},
    el('td', {}, r.technique.replace(/_/g, ' ')), el('td', {}, r.name || '–'),
    el('td', {}, `${r.detected_frames ?? '?'} / ${r.frame_count ?? '?'}`), el('td', {}, when(r.created_at)),
    el('td', {}, editable ? el('button', { type: 'button', class: 'danger',
      'aria-label': `Delete the ${r.technique} reference ${r.name || r.id}`, onclick: () => remove(r) }, 'Delete') : ''))));
  if (!refs.length) $('#reference-rows').append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No reference yet.')));
}

async function remove(ref) {
  if (!window.confirm(`Delete the ${ref.technique} reference ${ref.name || ref.id}?`)) return;
  try {
    await request('DELETE', `/coaches/${encodeURIComponent(coach.id)}/references/${encodeURIComponent(ref.id)}`);
    notice('Reference deleted.');
    await references();
  } catch (error) {
    showError($('#coach-error'), error);
  }
}

async function addReference(event) {
  event.preventDefault();
  const form = event.target;
  showError($('#reference-error'), null);
  const data = new FormData();
  data.append('file', $('#reference-file').files[0]);
  data.append('technique', $('#reference-technique').value.trim());
  if ($('#reference-name').value.trim()) data.append('name', $('#reference-name').value.trim());
  const bar = $('#reference-progress');
  bar.hidden = false;
  bar.value = 0;
  form.querySelector('button').disabled = true;
  try {
    await upload(`/coaches/${encodeURIComponent(coach.id)}/references`, data, (share) => {
      bar.value = share;
      if (share >= 1) notice('Uploaded: the poses are being extracted…', { sticky: true });
    });
    notice('Reference added.');
    form.reset();
    await references();
  } catch (error) {
    notice('');
    showError($('#reference-error'), error);
  } finally {
    bar.hidden = true;
    form.querySelector('button').disabled = false;
  }
}

async function save(event) {
  event.preventDefault();
  showError($('#coach-edit-error'), null);
  try {
    coach = { ...coach, ...(await request('PUT', `/coaches/${encodeURIComponent(coach.id)}`, { json: fields(event.target) })) };
    showEntry(coach);
    notice('Saved.');
  } catch (error) {
    showError($('#coach-edit-error'), error);
  }
}

async function analyses() {
  const reply = await request('GET', '/analyses', { query: { coach: coach.id, limit: 50 } });
  clear($('#coach-analyses')).append(...reply.analyses.map((a) => el('tr', {},
    el('td', {}, when(a.timestamp)), el('td', {}, (a.technique || 'not recognised').replace(/_/g, ' ')),
    el('td', {}, a.video || ''), el('td', {}, score(a.overall_score)),
    el('td', {}, el('a', { href: `#/result/${a.id}` }, 'Open')))));
  if (!reply.analyses.length) $('#coach-analyses').append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'None yet.')));
}

export async function enterCoach(id) {
  showError($('#coach-error'), null);
  try {
    coach = await request('GET', `/coaches/${encodeURIComponent(id)}`);
    showEntry(coach);
    await Promise.all([references(), analyses()]);
  } catch (error) {
    showError($('#coach-error'), error);
  }
}

export function initCoaches() {
  $('#coach-create').addEventListener('submit', create);
  $('#coach-edit').addEventListener('submit', save);
  $('#reference-add').addEventListener('submit', addReference);
}
