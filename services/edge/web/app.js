// The page's entry: routes (#/analyse, #/result/<id>, #/history, #/coaches, #/coaches/<id>, #/live), sign-in
// and registration. Views are only hidden, never rebuilt, so what was typed in one survives a detour
// through the sign-in view when the session expires.
import { enterAnalyse, initAnalyse } from './analyse.js';
import { currentUser, onSessionExpired, register, signIn, signOut } from './api.js';
import { enterCoach, enterCoaches, initCoaches } from './coaches.js';
import { enterHistory, initHistory } from './history.js';
import { enterLive, initLive, stop as stopLive } from './live.js';
import { openResult } from './result.js';
import { $, notice, showError } from './ui.js';

const ROUTES = {
  analyse: { view: 'view-analyse', enter: enterAnalyse },
  result: { view: 'view-result', enter: (id) => openResult(id, $('#result-error')) },
  history: { view: 'view-history', enter: enterHistory },
  coaches: { view: 'view-coaches', enter: enterCoaches },
  coach: { view: 'view-coach', enter: enterCoach },
  live: { view: 'view-live', enter: enterLive },
};

let resumeSession = null; // resolves the requests waiting for the user to sign in again

function parseHash() {
  const [name, arg] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (name === 'coaches' && arg) return { name: 'coach', arg };
  return ROUTES[name] ? { name, arg } : { name: 'analyse' };
}

function showView(id) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== id;
  for (const link of document.querySelectorAll('#nav a')) {
    if (location.hash.startsWith(link.getAttribute('href'))) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function signedInChrome() {
  const me = currentUser();
  $('#nav').hidden = !me;
  $('#sign-out').hidden = !me;
  $('#who').textContent = me ? `${me.username} (${me.role})` : '';
}

async function route() {
  signedInChrome();
  if (resumeSession) return; // the sign-in view stays until the user signs in again
  if (!currentUser()) { showView('view-signin'); $('#signin-username').focus(); return; }
  const { name, arg } = parseHash();
  if (name !== 'live') stopLive();
  showView(ROUTES[name].view);
  const heading = document.querySelector(`#${ROUTES[name].view} h1`);
  if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  await ROUTES[name].enter(arg);
}

// api.js calls this when the session cannot be renewed: show sign-in, resume everything after it.
function sessionExpired() {
  if (!resumeSession) {
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    resumeSession = { promise, resolve, was: document.querySelector('.view:not([hidden])') };
    $('#signin-expired').hidden = false;
    showView('view-signin');
    $('#signin-username').focus();
  }
  return resumeSession.promise;
}

async function onSignIn(event) {
  event.preventDefault();
  showError($('#signin-error'), null);
  const form = event.target;
  try {
    await signIn(form.elements.username.value.trim(), form.elements.password.value);
  } catch (error) {
    showError($('#signin-error'), error);
    return;
  }
  form.elements.password.value = '';
  $('#signin-expired').hidden = true;
  signedInChrome();
  if (resumeSession) {
    const { resolve, was } = resumeSession;
    resumeSession = null;
    showView(was ? was.id : 'view-analyse');
    resolve(); // the requests that failed are sent again
  } else {
    await route();
  }
}

async function onRegister(event) {
  event.preventDefault();
  showError($('#register-error'), null);
  const form = event.target;
  const fields = Object.fromEntries(new FormData(form).entries());
  try {
    await register(fields);
    $('#signin-username').value = fields.username;
    $('#signin-password').value = fields.password;
    form.reset();
    $('#register').open = false;
    notice('Account created: signing you in.');
    await onSignIn({ preventDefault() {}, target: $('#signin-form') });
  } catch (error) {
    showError($('#register-error'), error);
  }
}

function init() {
  onSessionExpired(sessionExpired);
  $('#signin-form').addEventListener('submit', onSignIn);
  $('#register-form').addEventListener('submit', onRegister);
  $('#sign-out').addEventListener('click', async () => {
    stopLive();
    await signOut();
    // A fresh page: nothing of this user's (results, videos, typed fields) stays in memory for the next one.
    location.hash = '#/analyse';
    location.reload();
  });
  initAnalyse();
  initHistory();
  initCoaches();
  initLive();
  window.addEventListener('hashchange', route);
  route();
}

init();
