// The dashboard's entry: sign-in and sign-out, then the user's view, and the admin view for admins.
import { session, get, ApiError } from './api.js';
import { userView } from './user.js';
import { adminView } from './admin.js';
import { signInWithProvider, finishProviderSignIn, providerConfigured } from './oidc.js';

const $ = (id) => document.getElementById(id);

async function start() {
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    $('api-key').value = '';
    session.signIn(key);
    await enter();
  });
  $('sign-out').addEventListener('click', () => {
    session.signOut();
    showSignIn('');
  });
  for (const tab of document.querySelectorAll('#tabs button')) {
    tab.addEventListener('click', () => show(tab.dataset.view));
  }
  try {
    if (await finishProviderSignIn()) return enter();
  } catch (e) {
    return showSignIn(e.message);
  }
  if (session.token()) return enter();
  showSignIn('');
}

async function enter() {
  let me;
  try {
    me = await get('/api/v1/credits/me');
  } catch (e) {
    session.signOut();
    return showSignIn(e instanceof ApiError && e.status === 401 ? 'That key was not accepted: it is unknown, revoked or expired' : e.message);
  }
  $('sign-in').hidden = true;
  $('who').hidden = false;
  $('who-name').textContent = `${me.user_id} (${me.role})`;
  $('tabs').hidden = false;
  $('admin-tab').hidden = me.role !== 'admin';
  userView($('user-view'));
  if (me.role === 'admin') adminView($('admin-view'));
  else $('admin-view').replaceChildren();
  show('user');
}

function show(view) {
  $('user-view').hidden = view !== 'user';
  $('admin-view').hidden = view !== 'admin';
  for (const tab of document.querySelectorAll('#tabs button')) tab.setAttribute('aria-pressed', String(tab.dataset.view === view));
}

async function showSignIn(error) {
  for (const id of ['who', 'tabs', 'user-view', 'admin-view']) $(id).hidden = true;
  $('user-view').replaceChildren();
  $('admin-view').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = error;
  $('oidc').hidden = !(await providerConfigured());
  $('oidc-sign-in').onclick = () => signInWithProvider().catch((e) => { $('sign-in-error').textContent = e.message; });
  $('api-key').focus();
}

start();
