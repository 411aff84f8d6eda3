/*
 * Signpost chat widget. Embed with one tag:
 *
 *   <script src="https://signpost.example.gov.uk/widget/widget.js" defer
 *           data-council="Sefton Council" data-colour="#00598a"
 *           data-server="https://signpost.example.gov.uk"></script>
 *
 * Plain JavaScript, no build step, nothing fetched from anywhere but the Signpost server. Everything a
 * resident or the assistant writes is put on the page as text (textContent), never as HTML; links,
 * phone numbers and email addresses are made into links by building the elements one by one.
 * The widget lives in a shadow root, so the council's styles and ours never mix.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[src*="/widget/widget.js"]');
  if (!script || window.__signpostWidget) { return; }
  window.__signpostWidget = true;

  // -- settings from the script tag ------------------------------------------------------------------

  function serverOrigin() {
    var given = script.getAttribute("data-server");
    try {
      var url = new URL(given || script.src, document.baseURI);
      if (url.protocol === "http:" || url.protocol === "https:") { return url.origin; }
    } catch (e) { /* fall through */ }
    return window.location.origin;
  }

  var SERVER = serverOrigin();
  var SOCKET_URL = SERVER.replace(/^http/, "ws") + "/widget/socket";
  var COUNCIL = (script.getAttribute("data-council") || "").trim() || "the council";
  var STORAGE_KEY = "signpost-conversation:" + SERVER;
  var DEFAULT_COLOUR = "#1d70b8";

  // -- colours: whatever the council chooses, text on it stays readable (WCAG AA, 4.5:1) -------------

  function parseColour(value) {
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec((value || "").trim());
    if (!m) { return null; }
    var hex = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
    return [0, 2, 4].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function darken(rgb, against, ratio) {
    var c = rgb.slice();
    while (contrast(c, against) < ratio && (c[0] || c[1] || c[2])) {
      c = c.map(function (v) { return Math.max(0, Math.floor(v * 0.92)); });
    }
    return c;
  }

  function css(rgb) { return "rgb(" + rgb.join(",") + ")"; }

  var WHITE = [255, 255, 255], INK = [11, 12, 12], PALE = [243, 242, 241];

  function palette() {
    var brand = parseColour(script.getAttribute("data-colour")) || parseColour(DEFAULT_COLOUR);
    var text = parseColour(script.getAttribute("data-text-colour"));
    if (!text || contrast(brand, text) < 4.5) {
      text = contrast(brand, WHITE) >= contrast(brand, INK) ? WHITE : INK;
      if (contrast(brand, text) < 4.5) { brand = darken(brand, WHITE, 4.5); text = WHITE; }
    }
    // Links and suggested replies sit on white and on the pale grey of the assistant's messages.
    var link = darken(parseColour(script.getAttribute("data-colour")) || brand, PALE, 4.5);
    return { brand: css(brand), onBrand: css(text), link: css(link) };
  }

  // -- building elements (never from HTML strings) ---------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; }
      else if (attrs[name] === true) { node.setAttribute(name, ""); }
      else if (attrs[name] !== false && attrs[name] != null) { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  // Links in messages: web addresses, email addresses and UK phone numbers (including 999, 111 and
  // 116 123). Everything else stays plain text.
  var LINKABLE = new RegExp([
    "(https?:\\/\\/[^\\s<>\"]+|www\\.[^\\s<>\"]+)",
    "([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,})",
    "((?:\\+44\\s?|\\b0)\\d{2,4}(?:[ -]?\\d{3,4}){1,2}\\b|\\b116 ?\\d{3}\\b|\\b(?:999|111)\\b)"
  ].join("|"), "g");

  function linkify(text) {
    var parts = [], last = 0, match;
    LINKABLE.lastIndex = 0;
    while ((match = LINKABLE.exec(text)) !== null) {
      var found = match[0], start = match.index;
      var before = text.charAt(start - 1);
      if (match[3] && /[£$\d.,\/]/.test(before)) { continue; }  // "£999", "1.111" are not phone numbers
      var trail = "";
      if (match[1]) {  // a sentence's full stop or bracket is not part of the address
        var t = /[.,;:!?)\]]+$/.exec(found);
        if (t) { trail = t[0]; found = found.slice(0, -trail.length); }
      }
      parts.push(text.slice(last, start));
      var link;
      if (match[1]) {
        link = el("a", { href: /^www\./i.test(found) ? "https://" + found : found, target: "_blank",
                         rel: "noopener noreferrer" },
                  [found, el("span", { "class": "sp-hidden", text: " (opens in a new tab)" })]);
      } else if (match[2]) {
        link = el("a", { href: "mailto:" + found, text: found });
      } else {
        link = el("a", { href: "tel:" + found.replace(/[^\d+]/g, ""), text: found });
      }
      parts.push(link);
      last = start + match[0].length - trail.length;
    }
    parts.push(text.slice(last));
    return parts.filter(function (p) { return p !== ""; });
  }

  // -- the widget ------------------------------------------------------------------------------------

  var host = el("div", { id: "signpost-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  var colours = palette();

  var badge = el("span", { "class": "sp-badge", hidden: true });
  var launcher = el("button", { type: "button", "class": "sp-launcher", "aria-expanded": "false",
                                "aria-controls": "sp-panel" },
                    [icon(), el("span", { text: "Chat with us" }), " ", badge]);
  var closeButton = el("button", { type: "button", "class": "sp-close" },
                       ["Close", el("span", { "class": "sp-hidden", text: " chat" })]);
  var log = el("div", { "class": "sp-log", role: "log", "aria-live": "polite", "aria-label": "Conversation",
                        tabindex: "0" });
  var typingWho = el("span", { text: "The assistant is typing" });
  var typing = el("p", { "class": "sp-typing", hidden: true },
                  [el("span", { "class": "sp-dots", "aria-hidden": "true" },
                      [el("span"), el("span"), el("span")]),
                   typingWho]);
  var status = el("p", { "class": "sp-status", role: "status" });
  var input = el("textarea", { id: "sp-input", rows: "2", placeholder: "Type your question here",
                               autocomplete: "off", maxlength: "1000" });
  var sendButton = el("button", { type: "submit", "class": "sp-send", text: "Send" });
  var form = el("form", { "class": "sp-form" },
                [el("label", { "for": "sp-input", "class": "sp-hidden", text: "Your message" }), input, sendButton]);
  var keptFor = el("p", { text: "This chat is kept for 90 days after your last message." });
  var forgetButton = el("button", { type: "button", "class": "sp-linkbutton", text: "Delete this conversation" });
  var confirmYes = el("button", { type: "button", "class": "sp-danger", text: "Yes, delete it" });
  var confirmNo = el("button", { type: "button", "class": "sp-secondary", text: "No, keep it" });
  var confirmBox = el("div", { "class": "sp-confirm", role: "group", "aria-labelledby": "sp-confirm-text",
                                hidden: true },
                      [el("p", { id: "sp-confirm-text",
                                 text: "Delete everything said in this conversation? This cannot be undone." }),
                       confirmYes, confirmNo]);
  var panel = el("div", { id: "sp-panel", "class": "sp-panel", role: "dialog", "aria-modal": "true",
                          "aria-labelledby": "sp-title", hidden: true }, [
    el("div", { "class": "sp-header" }, [
      el("div", {}, [
        el("h2", { id: "sp-title", text: "Ask " + COUNCIL }),
        el("p", { "class": "sp-subtitle", text: "An automated assistant. You can ask for a person at any time." })
      ]),
      closeButton
    ]),
    log, typing, status, form,
    el("div", { "class": "sp-footer" }, [
      el("p", { text: "Please don't share bank or card details. If someone is in danger, call 999." }),
      keptFor, forgetButton, confirmBox
    ])
  ]);
  var root = el("div", { "class": "sp-root", hidden: true }, [launcher, panel]);
  root.style.setProperty("--sp-brand", colours.brand);
  root.style.setProperty("--sp-on-brand", colours.onBrand);
  root.style.setProperty("--sp-link", colours.link);
  var sheet = el("link", { rel: "stylesheet", href: SERVER + "/widget/widget.css" });
  sheet.addEventListener("load", function () { root.hidden = false; });
  sheet.addEventListener("error", function () { root.hidden = false; });
  shadow.appendChild(sheet);
  shadow.appendChild(root);

  // -- remembering the conversation across page loads -------------------------------------------------

  function stored() {
    try { return window.localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }
  function remember(id) {
    try {
      if (id) { window.localStorage.setItem(STORAGE_KEY, id); }
      else { window.localStorage.removeItem(STORAGE_KEY); }
    } catch (e) { /* private browsing: the conversation lasts as long as the page */ }
  }

  // -- the transcript ---------------------------------------------------------------------------------

  var shown = {};        // keys of messages already on screen: "m<id>" or "r<ref>"
  var outbox = [];       // the resident's messages not yet confirmed stored by the server
  var unread = 0;
  var AUTHORS = { resident: "You", bot: "Assistant", advisor: "Advisor" };

  var unkeyed = 0;
  function keyOf(message) {
    if (message.ref) { return "r" + message.ref; }
    return message.id != null ? "m" + message.id : "u" + (unkeyed += 1);
  }

  function removeSuggestions() {
    var groups = log.querySelectorAll(".sp-buttons");
    var hadFocus = false;
    Array.prototype.forEach.call(groups, function (group) {
      if (group.contains(shadow.activeElement)) { hadFocus = true; }
      group.parentNode.removeChild(group);
    });
    if (hadFocus) { input.focus(); }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function addNote(text) {
    removeSuggestions();
    log.appendChild(el("p", { "class": "sp-note", text: text }));
    scrollDown();
  }

  function addMessage(message, live) {
    var key = keyOf(message);
    if (shown[key]) { return null; }
    shown[key] = true;
    removeSuggestions();
    var author = AUTHORS[message.author] ? message.author : "bot";
    var bubble = el("div", { "class": "sp-msg sp-msg-" + author }, [
      el("span", { "class": author === "advisor" ? "sp-author" : "sp-hidden",
                   text: AUTHORS[author] + (author === "advisor" ? "" : " said") + ": " }),
      el("div", { "class": "sp-text" }, linkify(String(message.text || "")))
    ]);
    log.appendChild(bubble);
    var buttons = (message.buttons || []).filter(function (b) { return b && b.title && b.payload; });
    if (author !== "resident" && buttons.length) {
      log.appendChild(el("div", { "class": "sp-buttons", role: "group", "aria-label": "Suggested replies" },
        buttons.map(function (b) {
          var button = el("button", { type: "button", text: String(b.title) });
          button.addEventListener("click", function () { say(String(b.payload), String(b.title)); input.focus(); });
          return button;
        })));
    }
    if (live && author !== "resident" && panel.hidden) {
      unread += 1;
      badge.textContent = unread === 1 ? "1 new message" : unread + " new messages";
      badge.hidden = false;
    }
    if (live && author !== "resident" && bubble.offsetHeight > log.clientHeight) {
      log.scrollTop = bubble.offsetTop - log.offsetTop - 8;  // a long answer is read from its start
    } else {
      scrollDown();
    }
    return bubble;
  }

  // -- the connection ---------------------------------------------------------------------------------

  var socket = null, ready = false, attempts = 0, retryTimer = null, typingTimer = null;
  var conversation = stored();
  var everConnected = false;

  function setStatus(text) { if (status.textContent !== text) { status.textContent = text; } }

  function showTyping(on, author) {
    typingWho.textContent = author === "advisor" ? "The advisor is typing" : "The assistant is typing";
    clearTimeout(typingTimer);
    if (on) { typingTimer = setTimeout(function () { typing.hidden = false; scrollDown(); }, 300); }
    else { typing.hidden = true; }
  }

  function transmit(item) {
    if (ready && socket && !item.sent) {
      socket.send(JSON.stringify({ type: "message", text: item.text, ref: item.ref, title: item.title }));
      item.sent = true;
    }
  }

  function connect() {
    if (socket) { return; }
    clearTimeout(retryTimer);
    try { socket = new WebSocket(SOCKET_URL); } catch (e) { socket = null; retry(); return; }
    socket.addEventListener("open", function () {
      socket.send(JSON.stringify({ type: "hello", conversation: stored() }));
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.type === "string" && handlers[frame.type]) { handlers[frame.type](frame); }
    });
    socket.addEventListener("close", function () {
      socket = null;
      ready = false;
      showTyping(false);
      outbox.forEach(function (item) { item.sent = false; });
      retry();
    });
  }

  function retry() {
    // Back off: about 1, 2, 4, 8, 16 then every 30 seconds, with jitter so a restarted server is not
    // met by every widget at once.
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    if (everConnected) { setStatus("Connection lost. Trying to reconnect..."); }
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {  // back online, or back to the tab: no need to wait out the back-off
    if (!socket && (everConnected || stored())) { attempts = 0; connect(); }
  }

  var handlers = {
    welcome: function (frame) {
      ready = true;
      attempts = 0;
      if (everConnected) { setStatus("Connected again."); setTimeout(function () { setStatus(""); }, 4000); }
      else { setStatus(""); }
      everConnected = true;
      conversation = frame.conversation;
      if (frame.limits && frame.limits.chars) { input.setAttribute("maxlength", String(frame.limits.chars)); }
      if (frame.limits && frame.limits.kept_days) {
        keptFor.textContent = "This chat is kept for " + frame.limits.kept_days + " days after your last message.";
      }
      if (frame.notice) { remember(null); addNote(frame.notice); }
      var history = frame.history || [];
      history.forEach(function (message) {
        outbox = outbox.filter(function (item) { return !message.ref || item.ref !== message.ref; });
        addMessage(message, false);
      });
      if (history.length || outbox.length) { remember(conversation); }
      outbox.forEach(transmit);
    },
    message: function (frame) {
      if (frame.ref) { outbox = outbox.filter(function (item) { return item.ref !== frame.ref; }); }
      if (frame.author === "advisor") { showTyping(false); }
      addMessage(frame, true);
    },
    typing: function (frame) { showTyping(!!frame.on, frame.author); },
    error: function (frame) { addNote(String(frame.text || "Something went wrong.")); },
    forgotten: function (frame) {
      conversation = frame.conversation;
      remember(null);
      outbox = [];
      shown = {};
      while (log.firstChild) { log.removeChild(log.firstChild); }
      addNote("Your conversation has been deleted.");
      if (!panel.hidden) { input.focus(); }
    }
  };

  function newRef() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function say(text, title) {
    var item = { text: text, title: title || undefined, ref: newRef(), sent: false };
    outbox.push(item);
    addMessage({ author: "resident", text: title || text, ref: item.ref }, false);
    if (conversation) { remember(conversation); }
    connect();
    transmit(item);
  }

  // -- opening, closing, keyboard ---------------------------------------------------------------------

  function greet() {
    if (!log.firstChild) {
      addMessage({ id: "greeting", author: "bot",
                   text: "Hello! I can help you find local services and things to do near you. " +
                         "What are you looking for?" }, false);
    }
  }

  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    badge.hidden = true;
    badge.textContent = "";
    connect();
    greet();
    scrollDown();
    input.focus();
  }

  function close() {
    hideConfirm(false);
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function focusable() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, textarea, a[href], [tabindex='0']"),
      function (node) { return !node.disabled && node.offsetParent !== null; });
  }

  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (!confirmBox.hidden) { hideConfirm(true); } else { close(); }
      return;
    }
    if (event.key !== "Tab") { return; }
    // A dialog: Tab and Shift+Tab go round it; Escape or Close leave it.
    var nodes = focusable(), first = nodes[0], last = nodes[nodes.length - 1];
    var active = shadow.activeElement;
    if (event.shiftKey && (active === first || !panel.contains(active))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (active === last || !panel.contains(active))) { event.preventDefault(); first.focus(); }
  });

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    typingSentAt = 0;  // what they type next is news again
    say(text);
    input.focus();
  });

  var typingSentAt = 0;
  input.addEventListener("input", function () {
    // Tell the server the resident is typing (an advisor sees it), at most every two seconds.
    var now = Date.now();
    if (ready && socket && input.value && now - typingSentAt > 2000) {
      typingSentAt = now;
      socket.send(JSON.stringify({ type: "typing" }));
    }
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit(sendButton) : sendButton.click();
    }
  });

  function hideConfirm(refocus) {
    confirmBox.hidden = true;
    forgetButton.hidden = false;
    if (refocus) { forgetButton.focus(); }
  }

  forgetButton.addEventListener("click", function () {
    confirmBox.hidden = false;
    forgetButton.hidden = true;
    confirmNo.focus();
  });
  confirmNo.addEventListener("click", function () { hideConfirm(true); });
  confirmYes.addEventListener("click", function () {
    hideConfirm(false);
    if (ready && socket) { socket.send(JSON.stringify({ type: "forget" })); }
    else { addNote("Sorry, the conversation can't be deleted while the chat is disconnected. Please try again."); }
    input.focus();
  });

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { reconnectNow(); }
  });

  function start() {
    document.body.appendChild(host);
    // Carry on a conversation at once (so an advisor's messages arrive even with the chat closed);
    // otherwise connect when the resident opens the chat.
    if (conversation) { connect(); }
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
