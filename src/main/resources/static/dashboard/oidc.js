// Sign-in through the organisation's OpenID provider, when the service has one configured: the authorization code
// flow with PKCE. The browser goes to the provider and comes back to this page with a code; the service exchanges
// code and verifier for a token at the provider (so the page talks to its own origin only). The verifier and the
// state live in sessionStorage for the round trip; the code is removed from the address bar at once.
import { session, get, post } from './api.js';

const PENDING = 'creditmeter.oidc';
let config;

async function oidc() {
  if (config === undefined) config = (await get('/api/v1/credits/dashboard/config').catch(() => ({ oidc: null }))).oidc;
  return config;
}

export async function providerConfigured() {
  return Boolean(await oidc());
}

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/`;

export async function signInWithProvider() {
  const provider = await oidc();
  const verifier = random();
  const state = random();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(provider.authorization_uri);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: provider.client_id, redirect_uri: redirectUri(), scope: provider.scope,
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** True when this page is the provider's redirect back and the sign-in succeeded; throws when it failed. */
export async function finishProviderSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return false;
  history.replaceState(null, '', location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  if (params.has('error')) throw new Error(`The provider refused the sign-in: ${params.get('error_description') || params.get('error')}`);
  if (!pending || pending.state !== params.get('state')) throw new Error('The sign-in came back without the request it answers; try again');
  const token = await post('/api/v1/credits/dashboard/oidc/token',
    { code: params.get('code'), code_verifier: pending.verifier, redirect_uri: redirectUri() });
  session.signIn(token.access_token);
  return true;
}
