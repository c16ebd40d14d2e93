// The chat with the selected user: messages live, buttons, the input line, attachments,
// the admin deep link, forwarding and callback answers.

import { renderMessage } from "./messages.js";
import { $, call, displayName, pollNow, state, status } from "./sandbox.js";

/** Clear the chat view, so the next poll sends the whole chat again. */
export function forgetChat() {
  state.version = "";
  state.answers = -1;
  state.shown.clear();
  state.keyboardHiddenFor = null;
  $("messages").replaceChildren();
  $("reply-keyboard").hidden = true;
}

/** Open the chat with ``user`` (on a phone: switch from the list to the chat). */
export function selectUser(user) {
  state.user = user;
  forgetChat();
  $("chat-title").textContent = `${displayName(user)} · ${user.id}`;
  $("layout").dataset.view = "chat";
  $("forward-form").hidden = true;
  for (const item of document.querySelectorAll('[data-testid="user-item"]')) {
    item.classList.toggle("selected", item.dataset.userId === String(user.id));
  }
  updateChatControls();
  pollNow();
  $("message-input").focus();
}

/** Enable the input line and actions once a user and a bot are there. */
export function updateChatControls() {
  const ready = Boolean(state.user && state.token);
  for (const id of ["message-input", "send-button", "attach-button", "forward-open"]) $(id).disabled = !ready;
  $("deep-link").disabled = !ready || !state.adminKey;
}

const actions = {
  async press(messageId, data, node) {
    node.classList.add("pending");
    try {
      await call("POST", `/sandbox/users/${state.user.id}/press`, {
        message_id: messageId, callback_data: data, token: state.token,
      });
    } catch (error) {
      node.classList.remove("pending");
      status(error.message);
    }
    pollNow();
  },
  command(text) {
    send(text);
  },
};

/** Bring the message list in line with ``messages``: only changed messages are rebuilt. */
export function renderChat(messages) {
  const list = $("messages");
  const first = state.shown.size === 0;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const seen = new Set();
  let previous = null;
  for (const message of messages) {
    const key = String(message.message_id);
    const signature = JSON.stringify(message);
    seen.add(key);
    let entry = state.shown.get(key);
    if (!entry || entry.signature !== signature) {
      const node = renderMessage(message, actions);
      if (entry) entry.node.replaceWith(node);
      entry = { node, signature };
      state.shown.set(key, entry);
    }
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (entry.node !== expected) list.insertBefore(entry.node, expected);
    previous = entry.node;
  }
  for (const [key, entry] of state.shown) {
    if (!seen.has(key)) {
      entry.node.remove();
      state.shown.delete(key);
    }
  }
  renderReplyKeyboard(messages);
  if (first || atBottom) list.scrollTop = list.scrollHeight;
}

function renderReplyKeyboard(messages) {
  const box = $("reply-keyboard");
  const latest = [...messages].reverse().find((message) => message.outgoing && message.reply_keyboard);
  const markup = latest && latest.reply_keyboard;
  $("message-input").placeholder = (markup && markup.input_field_placeholder) || "Message or /command";
  if (!markup || !markup.keyboard || state.keyboardHiddenFor === latest.message_id) {
    box.hidden = true;
    return;
  }
  box.replaceChildren(...markup.keyboard.map((row) => {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const spec of row) {
      const key = document.createElement("button");
      key.type = "button";
      key.className = "reply-button";
      key.dataset.testid = "reply-keyboard-button";
      key.textContent = spec.text;
      key.addEventListener("click", () => {
        if (markup.one_time_keyboard) state.keyboardHiddenFor = latest.message_id;
        send(spec.text);
      });
      line.append(key);
    }
    return line;
  }));
  box.hidden = false;
}

async function send(text, extra = {}) {
  if (!state.user || !text.trim()) return false;
  try {
    await call("POST", `/sandbox/users/${state.user.id}/messages`, { text, token: state.token, ...extra });
    pollNow();
    return true;
  } catch (error) {
    status(error.message);
    return false;
  }
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("message-input");
  if (await send(input.value)) input.value = "";
  input.focus();
});
$("message-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("deep-link").addEventListener("click", () => send(`/start ${state.adminKey}`));

/** The Telegram message type for a picked file, from its MIME type (and name for .ogg voice notes). */
export function kindFor(file) {
  const type = (file.type || "").toLowerCase();
  const name = (file.name || "").toLowerCase();
  if (type === "image/gif") return "animation";
  // The sandbox measures PNG, JPEG and WEBP photos; other images go as documents, as in Telegram.
  if (/^image\/(png|jpeg|webp)$/.test(type)) return "photo";
  if (type.startsWith("video/")) return "video";
  if (type === "audio/ogg" || type === "application/ogg" || /\.(ogg|oga|opus)$/.test(name)) return "voice";
  if (type.startsWith("audio/")) return "audio";
  return "document";
}

$("attach-button").addEventListener("click", () => $("attach-input").click());
$("attach-input").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file || !state.user) return;
  const form = new FormData();
  const input = $("message-input");
  form.append("type", kindFor(file));
  form.append("token", state.token);
  if (input.value.trim()) form.append("caption", input.value);
  form.append("file", file, file.name);
  try {
    await call("POST", `/sandbox/users/${state.user.id}/media`, form);
    input.value = "";
    pollNow();
  } catch (error) {
    status(error.message);
  }
});

async function fillForwardChoices() {
  const q = $("forward-search").value.trim();
  const page = await call("GET", `/sandbox/ui/users?${new URLSearchParams({ q, limit: 50 })}`);
  const others = page.users.filter((user) => !state.user || user.id !== state.user.id);
  $("forward-from").replaceChildren(
    ...others.map((user) => new Option(`${displayName(user)} · ${user.id}`, String(user.id))),
  );
}

$("forward-open").addEventListener("click", async () => {
  const form = $("forward-form");
  form.hidden = !form.hidden;
  if (form.hidden) return;
  $("forward-text").value = $("message-input").value || "Forwarded message";
  await fillForwardChoices().catch((error) => status(error.message));
});
$("forward-search").addEventListener("input", () => fillForwardChoices().catch((error) => status(error.message)));
$("forward-cancel").addEventListener("click", () => { $("forward-form").hidden = true; });
$("forward-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const origin = $("forward-from").value;
  if (!origin) {
    status("pick the user the message comes from");
    return;
  }
  if (await send($("forward-text").value, { forward_from: Number(origin) })) $("forward-form").hidden = true;
});

let toastTimer = null;
/** Show the bot's answerCallbackQuery text as a toast, or as an alert with show_alert. */
export function showAnswer(answer) {
  for (const node of document.querySelectorAll(".inline-button.pending")) node.classList.remove("pending");
  if (!answer.text) return;
  if (answer.show_alert) {
    const alert = $("callback-alert");
    alert.querySelector("p").textContent = answer.text;
    alert.hidden = false;
    return;
  }
  const toast = $("callback-answer");
  toast.textContent = answer.text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 4000);
}
$("callback-alert").querySelector("button").addEventListener("click", () => { $("callback-alert").hidden = true; });
