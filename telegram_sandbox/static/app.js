// The sandbox page: play Telegram users, chat with the bot, watch and disturb the sending.
// It polls /sandbox/ui/poll, which resends a chat only when its version changed.

import { forgetChat, renderChat, showAnswer, updateChatControls } from "./chat.js";
import { renderPanel } from "./panel.js";
import { $, call, pollNow, query, startPolling, state } from "./sandbox.js";
import { loadUsers } from "./users.js";

/** One poll: the bots, the panel, the open chat if it changed, answers to button presses, the users. */
async function pollOnce() {
  if (!state.token) {
    await loadConfig();
    if (!state.token) {
      await loadUsers();
      return;
    }
  }
  const params = {};
  const user = state.user;
  if (user) Object.assign(params, { chat_id: user.id, version: state.version, answers: state.answers });
  let answer;
  try {
    answer = await call("GET", query("/sandbox/ui/poll", params));
  } catch (error) {
    state.token = null; // revoked or forgotten by a reset: pick a bot again from the config
    throw error;
  }
  applyBots(answer.bots);
  renderPanel(answer.panel);
  if (user && state.user === user && answer.chat && answer.chat.id === user.id) {
    if (answer.chat.messages) {
      renderChat(answer.chat.messages);
      state.version = String(answer.chat.version);
      state.usersLoadedAt = 0; // the received counts in the list changed too: refresh it below
    }
    for (const item of answer.answers || []) showAnswer(item);
    state.answers = answer.answers_next;
  }
  // The list shows received counts: refresh it when messages went out, at most every 1.5 s.
  const age = Date.now() - state.usersLoadedAt;
  const sentMore = answer.panel.sent !== state.lastSent;
  if (answer.panel.users !== state.users.knownTotal || age > 5000 || (sentMore && age > 1500)) {
    state.users.knownTotal = answer.panel.users;
    state.lastSent = answer.panel.sent;
    state.usersLoadedAt = Date.now();
    await loadUsers();
  }
}

/** The admin key, the bots and the poll period; the page starts with it and waits for a bot. */
async function loadConfig() {
  const config = await call("GET", "/sandbox/config/ui");
  state.adminKey = config.admin_key;
  state.pollMs = config.poll_ms || state.pollMs;
  $("deep-link").title = state.adminKey
    ? "Send /start <ADMIN_KEY> as this user"
    : "Start the sandbox with --admin-key or ADMIN_KEY to use this";
  applyBots(config.bots);
  updateChatControls();
}

/** Keep the bot picker in line with the known bots; a vanished bot gives way to the first one. */
function applyBots(bots) {
  const tokens = bots.map((bot) => bot.token);
  const changed = tokens.join() !== state.bots.map((bot) => bot.token).join();
  state.bots = bots;
  if (!tokens.includes(state.token)) {
    state.token = tokens[0] || null;
    forgetChat();
  }
  if (changed) {
    const select = $("bot-select");
    select.replaceChildren(...bots.map((bot) => new Option(`@${bot.username}`, bot.token)));
    select.closest("label").hidden = bots.length < 2;
  }
  $("bot-select").value = state.token || "";
  const current = bots.find((bot) => bot.token === state.token);
  $("bot-name").textContent = current ? `@${current.username}` : "waiting for a bot…";
}

$("bot-select").addEventListener("change", (event) => {
  state.token = event.target.value;
  forgetChat();
  applyBots(state.bots);
  pollNow();
});
startPolling(pollOnce);
