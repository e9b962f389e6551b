// The DitoChat page: history from GET /messages, then live messages from /ws?since=<newest id>.
// Message text is only ever set with textContent.

const MAX_LENGTH = 2000;
const USER_KEY = "user";
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;
// A socket that stayed open this long was healthy: the next drop starts the backoff afresh.
const STABLE_MS = 5_000;
const NEAR_BOTTOM_PX = 48;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"), me: $("me"), rename: $("rename"), login: $("login"), name: $("name"), chat: $("chat"),
  list: $("messages"), jump: $("jump"), composer: $("composer"), text: $("text"), send: $("send"), error: $("error"),
};

const errorText = {
  rate_limited: "You are sending too fast: that message was not sent.",
  invalid_message: "The server refused that message",
  unavailable: "The chat is unavailable right now: that message was not sent.",
};

let user = loadUser();
let socket = null;
let lastId = 0;
const shown = new Set();
let retries = 0;
let retryTimer = 0;
let started = false;

function loadUser() {
  try {
    const stored = JSON.parse(localStorage.getItem(USER_KEY));
    return typeof stored?.uid === "string" && typeof stored.name === "string" ? stored : null;
  } catch {
    return null;
  }
}

// crypto.randomUUID needs a secure context; a plain-http deployment is not one.
function newUid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function showLogin() {
  ui.me.textContent = "";
  ui.chat.hidden = true;
  ui.status.hidden = true;
  ui.rename.hidden = true;
  ui.login.hidden = false;
  ui.name.value = user?.name ?? "";
  ui.name.focus();
}

function showChat() {
  ui.me.textContent = user.name;
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.status.hidden = false;
  ui.rename.hidden = false;
  ui.text.focus();
  if (!started) {
    started = true;
    start();
  } else {
    scrollToNewest();
  }
}

ui.login.addEventListener("submit", (event) => {
  event.preventDefault();
  user = { name: ui.name.value.trim() || "Guest", uid: user?.uid ?? newUid() };
  try {
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  } catch {
    // Storage full or disabled: this visit still works, the next one asks again.
  }
  showChat();
});

ui.rename.addEventListener("click", showLogin);

function setStatus(state) {
  ui.status.dataset.state = state;
  ui.status.textContent = state;
  updateSend();
}

async function start() {
  setStatus("connecting");
  try {
    const response = await fetch("messages", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`GET /messages: ${response.status}`);
    const newestFirst = await response.json();
    for (const message of newestFirst.reverse()) addMessage(message);
    scrollToNewest();
  } catch {
    // No history yet: /ws?since=0 replays the whole window instead.
  }
  connect();
}

function connect() {
  clearTimeout(retryTimer);
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("since", String(lastId));
  const since = lastId;
  let first = true;
  let openedAt = 0;
  const ws = new WebSocket(url);
  socket = ws;

  ws.addEventListener("open", () => {
    openedAt = Date.now();
    setStatus("online");
  });
  ws.addEventListener("message", (event) => {
    const wasNearBottom = nearBottom();
    let arrivedForOthers = false;
    for (const piece of String(event.data).split("\n")) {
      let item;
      try {
        item = JSON.parse(piece);
      } catch {
        continue;
      }
      if (typeof item?.error === "string") {
        showError(item);
        continue;
      }
      // The server sends only ids above `since`, unless its store was reset (then it replays all it has).
      if (first && typeof item?.id === "number" && item.id <= since) storeWasReset();
      first = false;
      if (addMessage(item) === "other") arrivedForOthers = true;
    }
    if (wasNearBottom) scrollToNewest();
    else if (arrivedForOthers) ui.jump.hidden = false;
  });
  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    socket = null;
    setStatus("reconnecting");
    if (openedAt && Date.now() - openedAt > STABLE_MS) retries = 0;
    // 0.5 s doubling to 10 s, each wait between half and all of that, so clients do not return in step.
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** retries);
    retries++;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  });
}

function storeWasReset() {
  shown.clear();
  lastId = 0;
  const note = document.createElement("li");
  note.className = "note";
  note.textContent = "The server's history was reset; messages below are new.";
  ui.list.append(note);
}

/** Appends a message not shown yet; returns "own", "other", or null when it was a duplicate or malformed. */
function addMessage(message) {
  if (typeof message?.id !== "number" || typeof message.text !== "string" || shown.has(message.id)) return null;
  shown.add(message.id);
  lastId = Math.max(lastId, message.id);

  const own = user !== null && message.uid === user.uid;
  const item = document.createElement("li");
  item.className = own ? "message own" : "message";
  item.dataset.id = String(message.id);

  const meta = document.createElement("p");
  meta.className = "meta";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = (typeof message.title === "string" && message.title) || "Guest";
  meta.append(name, " ");
  const when = new Date(message.date);
  if (!Number.isNaN(when.getTime())) {
    const time = document.createElement("time");
    time.dateTime = message.date;
    time.title = when.toLocaleString();
    time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    meta.append(time);
  }

  const text = document.createElement("p");
  text.className = "text";
  text.textContent = message.text;

  item.append(meta, text);
  ui.list.append(item);
  return own ? "own" : "other";
}

function nearBottom() {
  const list = ui.list;
  return list.scrollHeight - list.scrollTop - list.clientHeight <= NEAR_BOTTOM_PX;
}

function scrollToNewest() {
  ui.list.scrollTop = ui.list.scrollHeight;
  ui.jump.hidden = true;
}

ui.list.addEventListener("scroll", () => {
  if (nearBottom()) ui.jump.hidden = true;
});
ui.jump.addEventListener("click", () => {
  scrollToNewest();
  ui.text.focus();
});

function showError({ error, detail }) {
  const base = errorText[error] ?? `Error: ${error}`;
  ui.error.textContent = error === "invalid_message" && detail ? `${base}: ${detail}` : base;
}

function updateSend() {
  const text = ui.text.value.trim();
  ui.send.disabled = text.length === 0 || text.length > MAX_LENGTH || socket?.readyState !== WebSocket.OPEN;
}

function send() {
  const text = ui.text.value.trim();
  updateSend();
  if (ui.send.disabled) return;
  socket.send(JSON.stringify({ text, uid: user.uid, title: user.name, date: new Date().toISOString() }));
  ui.text.value = "";
  ui.error.textContent = "";
  updateSend();
  scrollToNewest();
}

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
ui.text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
ui.text.addEventListener("input", updateSend);

if (user) showChat();
else showLogin();
