// The list of simulated users: pages of 50, search, and a form to create one.

import { selectUser } from "./chat.js";
import { $, call, displayName, state, status } from "./sandbox.js";

const USERS_PAGE = 50;

/** Fetch and show the current page (or search result) of users. */
export async function loadUsers() {
  const { q, offset } = state.users;
  const page = await call("GET", `/sandbox/ui/users?${new URLSearchParams({ q, offset, limit: USERS_PAGE })}`);
  if (q !== state.users.q || offset !== state.users.offset) return;
  state.users.total = page.total;
  const list = $("user-list");
  list.replaceChildren(...page.users.map(userItem));
  const last = Math.min(page.total, offset + page.users.length);
  $("users-range").textContent = page.total ? `${offset + 1}–${last} of ${page.total}` : "no users";
  $("users-prev").disabled = offset === 0;
  $("users-next").disabled = last >= page.total;
}

function userItem(user) {
  const item = document.createElement("li");
  item.className = "user-item";
  item.dataset.testid = "user-item";
  item.dataset.userId = String(user.id);
  item.tabIndex = 0;
  item.setAttribute("role", "button");
  if (state.user && state.user.id === user.id) item.classList.add("selected");
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.textContent = (user.first_name || "?").slice(0, 1).toUpperCase();
  const who = document.createElement("span");
  who.className = "who";
  const name = document.createElement("strong");
  name.dataset.testid = "user-name";
  name.textContent = displayName(user);
  const details = document.createElement("small");
  const parts = [user.username ? `@${user.username}` : null, String(user.id), user.language_code];
  if (user.status !== "active") parts.push(user.status);
  details.textContent = parts.filter(Boolean).join(" · ");
  who.append(name, details);
  const received = document.createElement("span");
  received.className = "received";
  received.dataset.testid = "user-received";
  received.title = "messages received from bots";
  received.textContent = String(user.received);
  item.append(avatar, who, received);
  item.addEventListener("click", () => selectUser(user));
  item.addEventListener("keydown", (event) => { if (event.key === "Enter") selectUser(user); });
  return item;
}

$("new-user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const user = await call("POST", "/sandbox/users", {
      first_name: form.name.value.trim(),
      language_code: form.language.value || null,
    });
    form.name.value = "";
    Object.assign(state.users, { q: "", offset: 0 });
    $("user-search").value = "";
    await loadUsers();
    selectUser(user);
  } catch (error) {
    status(error.message);
  }
});

let searchTimer = null;
$("user-search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    Object.assign(state.users, { q: event.target.value.trim(), offset: 0 });
    loadUsers().catch((error) => status(error.message));
  }, 250);
});
$("users-prev").addEventListener("click", () => {
  state.users.offset = Math.max(0, state.users.offset - USERS_PAGE);
  loadUsers().catch((error) => status(error.message));
});
$("users-next").addEventListener("click", () => {
  state.users.offset += USERS_PAGE;
  loadUsers().catch((error) => status(error.message));
});
$("back-to-users").addEventListener("click", () => { $("layout").dataset.view = "users"; });
