// The console's calls: the same JSON protocol and authorisation as boto3's (POST / with
// X-Amz-Target), marked with X-Asl-Console: 1. When the server wants SigV4, the user is asked
// for an access key once (kept in sessionStorage) and every call is signed with aws4fetch.

import { askCredentials } from './dialogs.js';

const CREDENTIALS_KEY = 'asl-console-credentials';
const AUTH_ERRORS = new Set([
  'MissingAuthenticationTokenException',
  'MissingAuthenticationToken',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
]);
const ROOT = new URL('.', location.href.split('#')[0]);

/** An error the server answered: its AWS error name, message and HTTP status. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

let signers = null; // {states, scheduler} AwsClients once credentials are known
let asking = null; // the pending credentials prompt, shared by concurrent calls

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIALS_KEY) || 'null');
  } catch {
    return null;
  }
}

async function makeSigners(credentials) {
  const { AwsClient } = await import('./vendor/aws4fetch.esm.mjs');
  const base = {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    region: credentials.region || 'us-east-1',
    retries: 0,
  };
  return {
    states: new AwsClient({ ...base, service: 'states' }),
    scheduler: new AwsClient({ ...base, service: 'scheduler' }),
  };
}

/** Forget the credentials (the "sign out" button, or a key the server refused). */
export function forgetCredentials() {
  sessionStorage.removeItem(CREDENTIALS_KEY);
  signers = null;
}

export function hasCredentials() {
  return Boolean(signers || stored());
}

async function ensureSigners(refused) {
  if (signers && !refused) return signers;
  if (!refused && stored()) {
    signers = await makeSigners(stored());
    return signers;
  }
  if (!asking) {
    asking = askCredentials(refused).finally(() => {
      asking = null;
    });
  }
  const credentials = await asking;
  if (!credentials) throw new ApiError('MissingAuthenticationTokenException', 'Credentials are needed to use this server', 403);
  sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify(credentials));
  signers = await makeSigners(credentials);
  return signers;
}

async function send(service, url, init) {
  if (!signers && stored()) signers = await makeSigners(stored());
  const request = () => (signers ? signers[service].fetch(url, init) : fetch(url, init));
  let response = await request();
  let body = await read(response);
  for (let attempt = 0; attempt < 3 && isAuthError(response, body); attempt++) {
    await ensureSigners(signers ? `${body.code}: ${body.message}` : '');
    response = await request();
    body = await read(response);
  }
  if (!response.ok) throw new ApiError(body.code || `HTTP ${response.status}`, body.message, response.status);
  return body.data;
}

function isAuthError(response, body) {
  return (response.status === 403 || response.status === 400) && AUTH_ERRORS.has(body.code);
}

async function read(response) {
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  const type = response.headers.get('x-amzn-ErrorType') || data.__type || '';
  const code = String(type).split(':')[0].split('#').pop();
  return { data, code, message: data.message || data.Message || '' };
}

/** One JSON-protocol action: call('AWSStepFunctions.ListStateMachines', {...}). */
export function call(target, params = {}) {
  return send('states', ROOT.href, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': target,
      'X-Asl-Console': '1',
    },
    body: JSON.stringify(params),
  });
}

/** A Step Functions action by its name. */
export const sfn = (action, params) => call(`AWSStepFunctions.${action}`, params);

/** One of the console's own read actions (AslConsole.*). */
export const consoleApi = (action, params) => call(`AslConsole.${action}`, params);

/** An EventBridge Scheduler rest-json GET, e.g. scheduler('schedules'). */
export function scheduler(path, query = {}) {
  const url = new URL(path, ROOT);
  for (const [key, value] of Object.entries(query)) if (value != null) url.searchParams.set(key, value);
  return send('scheduler', url.href, { method: 'GET', headers: { 'X-Asl-Console': '1' } });
}

/** Every page of a paged action, up to `limit` items: all('ListStateMachines', 'stateMachines'). */
export async function all(action, key, params = {}, limit = 1000) {
  const items = [];
  let token;
  do {
    const page = await sfn(action, { ...params, ...(token ? { nextToken: token } : {}) });
    items.push(...(page[key] || []));
    token = page.nextToken;
  } while (token && items.length < limit);
  return items;
}
