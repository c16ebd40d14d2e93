// The page's link to the sandbox: requests, the state every part shares, the poll schedule
// and the status line.

/** The element with this data-testid. */
export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export const state = {
  token: null,
  bots: [],
  adminKey: null,
  pollMs: 800,
  usersLoadedAt: 0,
  lastSent: -1,
  users: { q: "", offset: 0, total: 0, knownTotal: -1 },
  user: null,
  version: "",
  answers: -1,
  shown: new Map(),
  faults: [],
  busySwitches: new Set(),
  keyboardHiddenFor: null,
};

/** A JSON (or multipart) request to the sandbox; a 4xx/5xx throws its ``error`` text. */
export async function call(method, path, payload) {
  const init = { method, headers: {} };
  if (payload instanceof FormData) init.body = payload;
  else if (payload !== undefined) {
    init.body = JSON.stringify(payload);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

/** ``path?params`` with the selected bot's token. */
export function query(path, params) {
  const search = new URLSearchParams(params);
  if (state.token) search.set("token", state.token);
  return `${path}?${search}`;
}

let statusTimer = null;
/** Show a line at the top for a few seconds (red when it is an error). */
export function status(text, isError = true) {
  const node = $("status");
  node.textContent = text;
  node.classList.toggle("error", isError);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { node.textContent = ""; }, 6000);
}

let poller = null;
let timer = null;
let inFlight = false;
let again = false;

/** Poll with ``poll`` every state.pollMs (slower while the tab is hidden), starting now. */
export function startPolling(poll) {
  poller = poll;
  schedule(0);
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(tick, ms);
}

/** Poll now (after an action), or right after the poll in flight. */
export function pollNow() {
  if (inFlight) again = true;
  else schedule(0);
}

async function tick() {
  inFlight = true;
  try {
    await poller();
  } catch (error) {
    status(`sandbox: ${error.message}`);
  } finally {
    inFlight = false;
    const slow = document.hidden ? 5 : 1;
    schedule(again ? 0 : state.pollMs * slow);
    again = false;
  }
}

/** A user's first and last name. */
export function displayName(user) {
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}
