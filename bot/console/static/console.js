/* Signpost advisor console. Plain JavaScript, no build step, nothing from outside this server.
   Everything a resident wrote is put on the page with textContent: never as markup. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var csrf = null, me = null, outcomes = {}, canned = [];
  var current = null;       // the handoff id of the open chat
  var lastMessage = 0;      // the last message id shown in the open chat
  var lastState = "";       // the last /state answer, to redraw only on change
  var timers = [];
  var typingSentAt = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "class") { node.className = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (method !== "GET") { headers["Content-Type"] = "application/json"; if (csrf) { headers["X-CSRF-Token"] = csrf; } }
    return fetch("/console/api/" + path, { method: method, headers: headers, credentials: "same-origin",
                                           body: method === "GET" ? undefined : JSON.stringify(body || {}) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401 && path !== "login") { showLogin(); }
          return { status: r.status, data: data };
        });
      });
  }

  function notice(text) { $("notice").textContent = text; }

  // -- logging in and out --------------------------------------------------------------------------

  function showLogin() {
    timers.forEach(clearInterval); timers = [];
    csrf = null; me = null; current = null; lastState = "";
    $("app").hidden = true; $("who").hidden = true; $("login").hidden = false;
    $("login-name").focus();
  }

  function showApp(who) {
    me = who.name; csrf = who.csrf; outcomes = who.outcomes || {}; canned = who.canned || [];
    $("login").hidden = true; $("app").hidden = false; $("who").hidden = false;
    $("me").textContent = "Logged in as " + me;
    var select = $("outcome");
    while (select.firstChild) { select.removeChild(select.firstChild); }
    Object.keys(outcomes).forEach(function (key) { select.appendChild(el("option", { value: key, text: outcomes[key] })); });
    var box = $("canned");
    while (box.firstChild) { box.removeChild(box.firstChild); }
    canned.forEach(function (text) {
      var b = el("button", { type: "button", text: text });
      b.addEventListener("click", function () { send(text); });
      box.appendChild(b);
    });
    heartbeat();
    refresh();
    timers.push(setInterval(heartbeat, (who.heartbeat_seconds || 3) * 1000));
    timers.push(setInterval(refresh, 1000));
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    api("POST", "login", { name: $("login-name").value, password: $("login-password").value }).then(function (r) {
      $("login-password").value = "";
      if (r.status !== 200) { $("login-error").textContent = r.data.error || "Could not log in."; return; }
      api("GET", "me").then(function (m) { if (m.status === 200) { showApp(m.data); } });
    });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "logout").then(function () { showLogin(); });
  });

  $("presence").addEventListener("change", heartbeat);

  function heartbeat() { if (csrf) { api("POST", "heartbeat", { presence: $("presence").value }); } }

  // -- the queue, my chats, call-backs ---------------------------------------------------------------

  function minutes(seconds) {
    if (seconds < 60) { return seconds + " s"; }
    return Math.floor(seconds / 60) + " min";
  }

  function summaryList(s) {
    var rows = [["Why", s.why], ["Need", s.need], ["Place", s.place], ["Age", s.age], ["When", s.time],
                ["Already suggested", (s.suggested || []).join(", ")], ["Channel", s.channel],
                ["Waiting", minutes(s.waiting_seconds || 0)]];
    var dl = el("dl");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      dl.appendChild(el("dt", { text: row[0] }));
      dl.appendChild(el("dd", { text: String(row[1]) }));
    });
    return dl;
  }

  var AUTHORS = { resident: "Resident", bot: "Assistant", advisor: "Advisor" };

  function messageNode(m) {
    return el("p", { "class": "msg " + m.author, "data-id": String(m.id) },
              [el("span", { "class": "who", text: (AUTHORS[m.author] || m.author) + ": " }), m.text]);
  }

  function queueEntry(s) {
    var item = el("li", { "class": s.crisis ? "crisis" : "", "aria-label": (s.crisis ? "Crisis: " : "") + s.why });
    var heading = el("h3", {}, s.crisis ? [el("span", { "class": "badge", text: "CRISIS" }), " ", s.why] : [s.why]);
    item.appendChild(heading);
    item.appendChild(el("div", { "class": "summary" }, [summaryList(s)]));
    if (s.note) { item.appendChild(el("p", { "class": "note", text: s.note })); }
    var transcript = el("div", { "class": "transcript", role: "log", "aria-label": "Transcript" });
    (s.transcript || []).forEach(function (m) { transcript.appendChild(messageNode(m)); });
    item.appendChild(el("details", { open: "" }, [el("summary", { text: "Transcript" }), transcript]));
    var claim = el("button", { type: "button", text: "Claim" });
    claim.addEventListener("click", function () {
      claim.disabled = true;
      api("POST", "handoffs/" + s.id + "/claim").then(function (r) {
        if (r.status === 200) { notice("You have this conversation."); open(s.id); }
        else { notice(r.data.error || "Could not claim it."); }
        lastState = ""; refresh();
      });
    });
    item.appendChild(claim);
    return item;
  }

  function callbackEntry(c) {
    var item = el("li", {});
    item.appendChild(el("h3", { text: (c.contact_kind === "email" ? "Email " : "Call ") + c.contact }));
    var dl = el("dl", {}, [el("dt", { text: "Good time" }), el("dd", { text: c.good_time || "" }),
                           el("dt", { text: "Consent" }), el("dd", { text: c.consent ? "Yes" : "No" }),
                           el("dt", { text: "Area" }), el("dd", { text: c.area || "" })]);
    item.appendChild(el("div", { "class": "summary" }, [dl]));
    if (c.summary && c.summary.why) { item.appendChild(el("div", { "class": "summary" }, [summaryList(c.summary)])); }
    var select = el("select", { "aria-label": "Outcome of call-back" });
    Object.keys(outcomes).forEach(function (key) { select.appendChild(el("option", { value: key, text: outcomes[key] })); });
    var done = el("button", { type: "button", text: "Mark done" });
    done.addEventListener("click", function () {
      api("POST", "callbacks/" + c.id + "/done", { outcome: select.value }).then(function () { lastState = ""; refresh(); });
    });
    item.appendChild(el("div", { "class": "actions" }, [select, done]));
    return item;
  }

  function fill(list, empty, items, make) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (x) { list.appendChild(make(x)); });
    empty.hidden = items.length > 0;
  }

  function refresh() {
    if (!csrf) { return; }
    api("GET", "state").then(function (r) {
      if (r.status !== 200) { return; }
      var state = r.data;
      $("online-count").textContent = state.online + " online";
      // Redraw only when something changed (waiting times by the minute), so a button is never pulled
      // from under the pointer.
      var key = JSON.stringify([state.queue, state.live.map(function (c) { return [c.id, c.note]; }), state.callbacks],
                               function (k, v) { return k === "waiting_seconds" ? Math.floor(v / 60) : v; });
      if (key !== lastState) {
        lastState = key;
        fill($("queue"), $("queue-empty"), state.queue, queueEntry);
        fill($("callbacks"), $("callbacks-empty"), state.callbacks, callbackEntry);
        fill($("chats"), $("chats-empty"), state.live, function (c) {
          var b = el("button", { type: "button", text: (c.crisis ? "CRISIS: " : "") + (c.need || "Chat") + " #" + c.id,
                                 "aria-current": String(c.id === current) });
          b.addEventListener("click", function () { open(c.id); });
          return el("li", {}, [b]);
        });
        if (current !== null && !state.live.some(function (c) { return c.id === current; })) { shut(); }
      }
      if (current !== null) { poll(); }
    });
  }

  // -- the open chat ----------------------------------------------------------------------------------

  function open(id) {
    current = id; lastMessage = 0;
    var log = $("chat-log");
    while (log.firstChild) { log.removeChild(log.firstChild); }
    $("chat").hidden = false;
    lastState = "";
    poll();
    $("chat-input").focus();
  }

  function shut() {
    current = null;
    $("chat").hidden = true;
  }

  var polling = false;
  function poll() {
    if (current === null || polling) { return; }
    polling = true;
    var id = current;
    api("GET", "handoffs/" + id + "?after=" + lastMessage).then(function (r) {
      polling = false;
      if (r.status !== 200 || id !== current) { return; }
      var summary = $("chat-summary");
      while (summary.firstChild) { summary.removeChild(summary.firstChild); }
      summary.appendChild(summaryList(r.data.handoff));
      var log = $("chat-log");
      r.data.messages.forEach(function (m) {
        if (m.id > lastMessage) { log.appendChild(messageNode(m)); lastMessage = m.id; }
      });
      if (r.data.messages.length) { log.scrollTop = log.scrollHeight; }
      $("resident-typing").hidden = !r.data.resident_typing;
    }, function () { polling = false; });
  }

  function send(text) {
    if (current === null || !text.trim()) { return; }
    api("POST", "handoffs/" + current + "/messages", { text: text }).then(function (r) {
      if (r.status !== 200) { notice(r.data.error || "Not sent."); return; }
      poll();
    });
  }

  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("chat-input");
    send(input.value);
    input.value = "";
    typingSentAt = 0;
  });

  $("chat-input").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });

  $("chat-input").addEventListener("input", function () {
    var now = Date.now();
    if (current !== null && $("chat-input").value && now - typingSentAt > 3000) {
      typingSentAt = now;
      api("POST", "handoffs/" + current + "/typing", { on: true });
    }
  });

  $("handback").addEventListener("click", function () {
    if (current === null) { return; }
    api("POST", "handoffs/" + current + "/handback").then(function (r) {
      notice(r.status === 200 ? "Handed back to the assistant." : (r.data.error || "Could not hand back."));
      shut(); lastState = ""; refresh();
    });
  });

  $("close-chat").addEventListener("click", function () {
    if (current === null) { return; }
    api("POST", "handoffs/" + current + "/close", { outcome: $("outcome").value }).then(function (r) {
      notice(r.status === 200 ? "Chat closed." : (r.data.error || "Could not close it."));
      shut(); lastState = ""; refresh();
    });
  });

  $("erase-chat").addEventListener("click", function () {
    if (current === null) { return; }
    if (!window.confirm("Erase everything kept about this conversation, everywhere? This cannot be undone.")) { return; }
    api("POST", "handoffs/" + current + "/erase").then(function (r) {
      notice(r.status === 200 ? "The conversation is erased." : (r.data.error || "Could not erase it."));
      shut(); lastState = ""; refresh();
    });
  });

  api("GET", "me").then(function (r) { if (r.status === 200) { showApp(r.data); } else { showLogin(); } });
})();
