// One chat message -> DOM: forward and reply headers, media, formatted text or caption,
// the time with "edited", and the inline keyboard.

import { externalLink, renderRich, safeUrl } from "./entities.js";

const ICONS = { video: "▶", audio: "♫", voice: "●", document: "≡" };
const KIND_NAMES = { video: "Video", audio: "Audio", voice: "Voice message", document: "Document" };

/** Where the page fetches a file's bytes. */
export function fileUrl(fileId) {
  return `/sandbox/files/${encodeURIComponent(fileId)}`;
}

function make(tag, className, testid, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = text;
  return node;
}

function personName(user) {
  if (!user) return "someone";
  return [user.first_name, user.last_name].filter(Boolean).join(" ") || user.title || "someone";
}

function humanSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function withMediaSpoiler(node, on) {
  if (!on) return node;
  const wrap = make("div", "media-spoiler", "media-spoiler");
  wrap.append(node);
  wrap.addEventListener("click", () => wrap.classList.add("revealed"));
  return wrap;
}

function picture(file, testid, alt) {
  const img = make("img", "media", testid);
  img.src = fileUrl(file.file_id);
  img.alt = alt;
  img.decoding = "async";
  if (file.width && file.height) {
    img.width = file.width;
    img.height = file.height;
  }
  return img;
}

function attachment(kind, file) {
  const link = externalLink(fileUrl(file.file_id), "attachment");
  link.dataset.testid = "message-attachment";
  link.dataset.kind = kind;
  link.append(make("span", "attachment-icon", null, ICONS[kind]));
  const label = make("span", "attachment-label");
  label.append(make("strong", null, null, file.file_name || file.title || KIND_NAMES[kind]));
  const details = [KIND_NAMES[kind]];
  if (file.duration) details.push(`${file.duration} s`);
  if (file.file_size) details.push(humanSize(file.file_size));
  if (file.mime_type) details.push(file.mime_type);
  label.append(make("small", null, null, details.join(" · ")));
  link.append(label);
  return link;
}

function media(message) {
  if (Array.isArray(message.photo) && message.photo.length) {
    const largest = message.photo[message.photo.length - 1];
    return withMediaSpoiler(picture(largest, "message-photo", "Photo"), message.has_media_spoiler);
  }
  if (message.animation) {
    const file = message.animation;
    if (String(file.mime_type || "").startsWith("image/")) {
      return withMediaSpoiler(picture(file, "message-animation", "GIF"), message.has_media_spoiler);
    }
    const video = make("video", "media", "message-animation");
    Object.assign(video, { src: fileUrl(file.file_id), muted: true, loop: true, autoplay: true, playsInline: true });
    const box = make("div", "animation");
    box.append(video, make("span", "badge", null, "GIF"));
    return withMediaSpoiler(box, message.has_media_spoiler);
  }
  for (const kind of ["video", "audio", "voice", "document"]) {
    if (message[kind]) return attachment(kind, message[kind]);
  }
  return null;
}

function button(spec, message, actions) {
  if (typeof spec.url === "string") {
    const href = safeUrl(spec.url);
    if (href) {
      const link = externalLink(href, "inline-button");
      link.textContent = spec.text;
      link.dataset.testid = "message-button";
      link.dataset.kind = "url";
      link.append(make("span", "corner", null, "↗"));
      return link;
    }
  }
  const node = make("button", "inline-button", "message-button", spec.text);
  node.type = "button";
  if (typeof spec.callback_data === "string") {
    node.dataset.kind = "callback";
    node.dataset.callbackData = spec.callback_data;
    node.addEventListener("click", () => actions.press(message.message_id, spec.callback_data, node));
  } else if (spec.copy_text && typeof spec.copy_text.text === "string") {
    node.dataset.kind = "copy_text";
    node.addEventListener("click", () => navigator.clipboard?.writeText(spec.copy_text.text));
  } else {
    node.dataset.kind = Object.keys(spec).find((key) => key !== "text") || "unknown";
    node.disabled = true;
    node.title = "Not supported by the sandbox";
  }
  return node;
}

function keyboard(message, actions) {
  const rows = message.reply_markup && message.reply_markup.inline_keyboard;
  if (!Array.isArray(rows) || !rows.length) return null;
  const box = make("div", "inline-keyboard", "message-keyboard");
  for (const row of rows) {
    const line = make("div", "keyboard-row");
    for (const spec of row) line.append(button(spec, message, actions));
    box.append(line);
  }
  return box;
}

function headers(message, bubble) {
  const origin = message.forward_origin;
  if (origin || message.forward_from) {
    const source = origin ? origin.sender_user || origin.sender_chat || origin.chat : message.forward_from;
    const who = source ? personName(source) : (origin && origin.sender_user_name) || "someone";
    bubble.append(make("div", "forwarded", "message-forwarded", `Forwarded from ${who}`));
  }
  const reply = message.reply_to_message;
  if (reply) {
    const quote = make("div", "reply-quote", "message-reply");
    const snippet = reply.text || reply.caption || (reply.photo ? "Photo" : "Message");
    quote.textContent = snippet.length > 80 ? `${snippet.slice(0, 80)}…` : snippet;
    bubble.append(quote);
  }
}

/** The list item for one message; ``actions`` has press(messageId, data, button) and command(text). */
export function renderMessage(message, actions) {
  const fromBot = Boolean(message.outgoing);
  const item = make("li", `message ${fromBot ? "from-bot" : "from-user"}`, "chat-message");
  item.dataset.messageId = String(message.message_id);
  item.dataset.from = fromBot ? "bot" : "user";
  if (message.edited) item.dataset.edited = "true";
  const bubble = make("div", "bubble");
  headers(message, bubble);
  const shown = media(message);
  const body = message.text !== undefined ? message.text : message.caption;
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  let textNode = null;
  if (body) {
    textNode = make("div", "message-text", message.text !== undefined ? "message-text" : "message-caption");
    textNode.append(renderRich(body, entities, actions));
  }
  if (textNode && message.show_caption_above_media) bubble.append(textNode);
  if (shown) bubble.append(shown);
  if (textNode && !message.show_caption_above_media) bubble.append(textNode);
  const meta = make("div", "meta");
  if (message.edited) meta.append(make("span", "edited", "message-edited", "edited"));
  const time = new Date((message.date || 0) * 1000);
  meta.append(make("time", null, null, time.toTimeString().slice(0, 5)));
  bubble.append(meta);
  item.append(bubble);
  const buttons = keyboard(message, actions);
  if (buttons) item.append(buttons);
  return item;
}
