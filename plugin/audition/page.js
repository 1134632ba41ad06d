// Audition page: one active player at a time, A/B at the same position, a shared time cursor.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("audition-data").textContent);
  var cards = Array.prototype.slice.call(document.querySelectorAll(".track"));
  var players = cards.map(function (c) { return c.querySelector("audio"); });
  var cursors = cards.map(function (c) { return c.querySelector(".cursor"); });
  var pics = cards.map(function (c) { return c.querySelector(".pic"); });
  var now = document.getElementById("now");
  var bSelect = document.getElementById("b-select");
  var active = 0;
  var bIndex = players.length > 1 ? 1 : 0;
  var source = data.sourceIndex;  // -1 when there is no source track

  function fmt(t) {
    if (!isFinite(t)) { t = 0; }
    var m = Math.floor(t / 60), s = t - m * 60;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  function mark() {
    cards.forEach(function (c, i) {
      c.classList.toggle("active", i === active);
      c.classList.toggle("is-b", i === bIndex && i !== aIndex());
    });
    document.body.setAttribute("data-active", String(active));
    document.body.setAttribute("data-b", String(bIndex));
  }

  function aIndex() { return source >= 0 ? source : 0; }

  // Make track i the one playing; keep the position of the current one unless told otherwise.
  function activate(i, keepPosition) {
    if (i < 0 || i >= players.length) { return; }
    var cur = players[active], next = players[i];
    var t = cur.currentTime, playing = !cur.paused;
    players.forEach(function (p, j) { if (j !== i && !p.paused) { p.pause(); } });
    if (keepPosition && i !== active) {
      var limit = isFinite(next.duration) ? next.duration : t;
      try { next.currentTime = Math.min(t, limit); } catch (e) { /* not seekable yet */ }
    }
    active = i;
    mark();
    if (playing && next.paused) { next.play().catch(function () {}); }
  }

  function toggleAB() {
    var a = aIndex();
    activate(active === a ? bIndex : a, true);
  }

  function playPause() {
    var p = players[active];
    if (p.paused) { p.play().catch(function () {}); } else { p.pause(); }
  }

  players.forEach(function (p, i) {
    p.addEventListener("play", function () {
      if (i !== active) { activate(i, false); }
      players.forEach(function (q, j) { if (j !== i && !q.paused) { q.pause(); } });
    });
  });

  pics.forEach(function (pic, i) {
    pic.addEventListener("click", function (ev) {
      var r = pic.getBoundingClientRect();
      var t = Math.max(0, (ev.clientX - r.left) / r.width) * data.axisSeconds;
      var p = players[i];
      var playing = !players[active].paused;
      activate(i, false);
      try { p.currentTime = Math.min(t, isFinite(p.duration) ? p.duration : t); } catch (e) {}
      if (playing && p.paused) { p.play().catch(function () {}); }
    });
  });

  cards.forEach(function (c, i) {
    var listen = c.querySelector("[data-action=listen]");
    if (listen) { listen.addEventListener("click", function () { activate(i, true); }); }
    var setB = c.querySelector("[data-action=set-b]");
    if (setB) {
      setB.addEventListener("click", function () { bIndex = i; bSelect.value = String(i); mark(); });
    }
  });

  if (bSelect) {
    bSelect.value = String(bIndex);
    bSelect.addEventListener("change", function () { bIndex = parseInt(bSelect.value, 10); mark(); });
  }
  document.getElementById("ab").addEventListener("click", toggleAB);
  document.getElementById("play").addEventListener("click", playPause);

  document.addEventListener("keydown", function (ev) {
    if (ev.target && /INPUT|SELECT|TEXTAREA/.test(ev.target.tagName)) { return; }
    var p = players[active];
    if (ev.key === " ") { ev.preventDefault(); playPause(); }
    else if (ev.key === "x" || ev.key === "X") { toggleAB(); }
    else if (ev.key === "ArrowLeft") { p.currentTime = Math.max(0, p.currentTime - 5); }
    else if (ev.key === "ArrowRight") { p.currentTime = p.currentTime + 5; }
    else if (/^[0-9]$/.test(ev.key)) { activate(parseInt(ev.key, 10), true); }
  });

  function tick() {
    var t = players[active] ? players[active].currentTime : 0;
    var left = Math.min(100, (t / data.axisSeconds) * 100) + "%";
    cursors.forEach(function (c) { c.style.left = left; });
    if (now) { now.textContent = cards[active].getAttribute("data-label") + "  " + fmt(t); }
    window.requestAnimationFrame(tick);
  }

  // The page's own API, for tests and the curious: auditionPage.activate(2), .toggleAB()
  window.auditionPage = {
    activate: activate, toggleAB: toggleAB, playPause: playPause,
    get active() { return active; }, get b() { return bIndex; }, players: players
  };
  mark();
  tick();
})();
