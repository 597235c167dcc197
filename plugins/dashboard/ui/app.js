// The Relaykit dashboard: plain browser JavaScript modules, no dependencies. Every view
// reads the hub's own HTTP APIs with the admin token, kept in this tab's sessionStorage only.
import { $, api, base, h, KEY, state, token } from './lib.js';
import { overview, plugins, retention, traffic } from './views-hub.js';
import { messages, realtime } from './views-live.js';
import { webhooks } from './views-webhooks.js';

const views = { overview, plugins, traffic, realtime, messages, webhooks, retention };

async function route() {
  state.stopView();
  state.stopView = () => {};
  const name = location.hash.slice(1) in views ? location.hash.slice(1) : 'overview';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  state.runningPlugins = api('/admin/plugins').then(
    (list) => new Set(list.filter((p) => p.state === 'running').map((p) => p.name)),
  );
  const main = $('#main');
  main.dataset.view = name;
  main.dataset.ready = 'false';
  try {
    const content = await views[name]();
    main.replaceChildren(...[content].flat());
  } catch (err) {
    if (err.status === 401) return signOut('The token was refused.');
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
  }
  main.dataset.ready = 'true';
}
state.route = route;

function signOut(message) {
  sessionStorage.removeItem(KEY);
  state.stopView();
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
}

async function signIn(candidate) {
  const res = await fetch(`${base}admin/plugins`, { headers: { authorization: `Bearer ${candidate}` } });
  if (!res.ok)
    return signOut(res.status === 403 ? 'The admin API is disabled: set auth.adminToken.' : 'That token was refused.');
  sessionStorage.setItem(KEY, candidate);
  $('#login').hidden = true;
  $('#app').hidden = false;
  route();
}

$('#nav').append(
  ...Object.keys(views).map((v) => h('a', { href: `#${v}`, 'data-view': v }, v[0].toUpperCase() + v.slice(1))),
);
$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($('#token').value);
  $('#token').value = '';
});
$('#logout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
if (token()) signIn(token());
else signOut();
