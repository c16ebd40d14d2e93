// Text + MessageEntity list -> DOM, as Telegram renders it. Offsets are UTF-16 units, which is
// exactly how JavaScript indexes strings. Only text nodes and a fixed set of elements are made:
// nothing the bot sent is ever parsed as HTML.

const BLOCKS = new Set(["pre", "blockquote", "expandable_blockquote"]);
const SIMPLE = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code" };
const SCHEMES = new Set(["http:", "https:", "tg:", "mailto:"]);

/** An http(s)/tg/mailto URL safe for an href, or null (javascript:, data: and the like). */
export function safeUrl(raw) {
  if (typeof raw !== "string" || !raw.trim()) return null;
  let value = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) value = `http://${value}`;
  try {
    const url = new URL(value);
    return SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** A link that opens in a new tab and cannot reach back to this page. */
export function externalLink(href, className) {
  const link = document.createElement("a");
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  if (className) link.className = className;
  return link;
}

function order(a, b) {
  return a.start - b.start || b.end - a.end || (BLOCKS.has(b.e.type) ? 1 : 0) - (BLOCKS.has(a.e.type) ? 1 : 0);
}

// The element for one entity: [outer, where its children go].
function entityNode(entity, slice, actions) {
  const type = entity.type;
  if (SIMPLE[type]) {
    const node = document.createElement(SIMPLE[type]);
    return [node, node];
  }
  if (type === "pre") {
    const pre = document.createElement("pre");
    const code = document.createElement("code");
    if (entity.language) code.dataset.language = String(entity.language);
    pre.append(code);
    return [pre, code];
  }
  if (type === "blockquote" || type === "expandable_blockquote") {
    const quote = document.createElement("blockquote");
    if (type === "expandable_blockquote") {
      quote.className = "expandable";
      quote.addEventListener("click", () => quote.classList.toggle("expanded"));
    }
    return [quote, quote];
  }
  if (type === "spoiler") {
    const spoiler = document.createElement("span");
    spoiler.className = "spoiler";
    spoiler.dataset.testid = "spoiler";
    spoiler.tabIndex = 0;
    spoiler.addEventListener("click", () => spoiler.classList.add("revealed"));
    return [spoiler, spoiler];
  }
  const href =
    type === "text_link" ? safeUrl(entity.url) :
    type === "url" ? safeUrl(slice) :
    type === "email" ? safeUrl(`mailto:${slice}`) : null;
  if (href) {
    const link = externalLink(href);
    return [link, link];
  }
  const span = document.createElement("span");
  span.className = `entity-${type.replace(/[^a-z_]/g, "")}`;
  if (type === "bot_command" && actions && actions.command) {
    span.classList.add("clickable");
    span.addEventListener("click", () => actions.command(slice));
  }
  return [span, span];
}

function appendRange(parent, text, start, end, items, actions) {
  let pos = start;
  let list = items.slice();
  while (list.length) {
    const item = list.shift();
    if (item.start < pos) {
      // It began inside a sibling that is already closed: keep the part after it.
      if (item.end > pos) {
        list.push({ ...item, start: pos });
        list.sort(order);
      }
      continue;
    }
    if (item.start > pos) parent.append(text.slice(pos, item.start));
    const inner = [];
    const rest = [];
    for (const other of list) {
      if (other.start >= item.end) rest.push(other);
      else if (other.end <= item.end) inner.push(other);
      else {
        // Crossing entities are split at the boundary, as Telegram's clients do.
        inner.push({ ...other, end: item.end });
        rest.push({ ...other, start: item.end });
      }
    }
    list = rest.sort(order);
    const [outer, content] = entityNode(item.e, text.slice(item.start, item.end), actions);
    appendRange(content, text, item.start, item.end, inner, actions);
    parent.append(outer);
    pos = item.end;
  }
  if (pos < end) parent.append(text.slice(pos, end));
}

/** A fragment with ``text`` formatted by ``entities`` (bold, links, spoilers, code, quotes, ...). */
export function renderRich(text, entities, actions) {
  const fragment = document.createDocumentFragment();
  const value = String(text ?? "");
  const items = (Array.isArray(entities) ? entities : [])
    .filter((e) => e && typeof e.type === "string" && Number.isInteger(e.offset) && Number.isInteger(e.length))
    .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < value.length)
    .map((e) => ({ e, start: e.offset, end: Math.min(value.length, e.offset + e.length) }))
    .sort(order);
  appendRange(fragment, value, 0, value.length, items, actions);
  return fragment;
}
