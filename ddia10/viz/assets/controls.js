// The control script every static player shares (see ddia10/viz/stepper.py).
// Holes filled per player: __ID__ (its root's id), __UNIT__ (the counter's unit,
// a JSON string), __INTERVAL__ (ms between steps while playing) and __DRAW__ (the
// view's drawing function, one of the other scripts in this folder).
(function () {
  var root = document.getElementById("__ID__");
  if (!root) { return; }
  var D = JSON.parse(root.querySelector("script.ddia10-data").textContent);
  var range = root.querySelector("input[data-action=seek]");
  var counter = root.querySelector(".ddia10-counter");
  var playBtn = root.querySelector("button[data-action=play]");
  var N = +range.max, k = 0, timer = null;
  var draw = (__DRAW__)(root, D);
  function show(j) {
    k = Math.max(0, Math.min(N, j));
    counter.textContent = __UNIT__ + k + " / " + N + (draw(k) || "");
    range.value = k;
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    playBtn.textContent = "\u25b6 Play";
  }
  function play() {
    if (timer) { stop(); return; }
    if (k >= N) { show(0); }
    playBtn.textContent = "\u23f8 Pause";
    timer = setInterval(function () {
      if (k >= N) { stop(); } else { show(k + 1); }
    }, __INTERVAL__);
  }
  root.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-action]");
    if (!b || !root.contains(b)) { return; }
    var a = b.getAttribute("data-action");
    if (a === "play") { play(); return; }
    stop();
    if (a === "next") { show(k + 1); }
    else if (a === "prev") { show(k - 1); }
    else if (a === "reset") { show(0); }
  });
  range.addEventListener("input", function () { stop(); show(+range.value); });
  show(0);
})();
