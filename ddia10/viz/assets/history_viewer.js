// The history viewer: one lane per client, zoom and scroll, linearization points with
// the model's state after each, the violating core, "jump to first error".
// Data comes from ddia10.viz.history_viewer.viewer_data; nothing is fetched.
(function () {
  "use strict";
  var KIND = ["#81c784", "#aed581", "#ffb74d", "#64b5f6", "#cfd8dc"];  // write put/append cas read other
  var LANE = 26, BAR = 16, LEFT = 96, RIGHT = 12, AXIS = 24;

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  function fmt(t) {
    var a = Math.abs(t);
    if (a !== 0 && (a < 0.01 || a >= 1e6)) { return t.toExponential(2); }
    return String(+t.toFixed(3));
  }

  function ticks(a, b, n) {
    var raw = (b - a) / n, step = Math.pow(10, Math.floor(Math.log10(raw))), out = [];
    [1, 2, 5, 10].some(function (m) { if (raw <= m * step) { step *= m; return true; } });
    for (var t = Math.ceil(a / step) * step; t <= b; t += step) { out.push(t); }
    return out;
  }

  function viewer(root) {
    var D = JSON.parse(root.querySelector("script.lz-data").textContent);
    var plot = root.querySelector(".lz-plot"), info = root.querySelector(".lz-info");
    var slider = root.querySelector("input.lz-scroll"), status = root.querySelector(".lz-status");
    var ops = D.ops, points = D.points, revealed = !D.conceal;
    var pointOf = {};
    points.forEach(function (p, k) { pointOf[p[0]] = k; });
    var span = Math.max(D.t1 - D.t0, 1e-9), minWidth = span / 1e5;
    var view = {a: D.t0, b: D.t1}, selected = null;

    function width() { return Math.max(360, plot.clientWidth || 800); }

    function clamp(a, b) {
      var w = Math.min(Math.max(b - a, minWidth), span);
      a = Math.max(D.t0, Math.min(a, D.t1 - w));
      return {a: a, b: a + w};
    }

    function setView(a, b) { view = clamp(a, b); draw(); }

    function zoom(factor, at) {
      var w = (view.b - view.a) * factor;
      if (at === undefined) { at = (view.a + view.b) / 2; }
      var r = (at - view.a) / (view.b - view.a);
      setView(at - r * w, at - r * w + w);
    }

    function pan(fraction) {
      var w = view.b - view.a;
      setView(view.a + fraction * w, view.b + fraction * w);
    }

    function end(op) { return op[2] === null ? D.t1 : op[2]; }

    function draw() {
      var W = width(), H = D.lanes.length * LANE + AXIS + 4;
      var scale = (W - LEFT - RIGHT) / (view.b - view.a);
      var x = function (t) { return LEFT + (t - view.a) * scale; };
      var out = ['<svg class="lz-svg" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W +
                 " " + H + '" role="img" aria-label="history">'];
      out.push('<rect x="0" y="0" width="' + W + '" height="' + H + '" fill="#fff"/>');
      D.lanes.forEach(function (name, i) {
        var cy = i * LANE + LANE / 2;
        out.push('<line x1="' + LEFT + '" x2="' + (W - RIGHT) + '" y1="' + cy + '" y2="' + cy +
                 '" stroke="#eceff1"/><text x="4" y="' + (cy + 4) +
                 '" font-size="11" fill="#263238">' + esc(name) + "</text>");
      });
      out.push('<defs><clipPath id="' + root.id + '-clip"><rect x="' + LEFT + '" y="0" width="' +
               (W - LEFT - RIGHT) + '" height="' + H + '"/></clipPath></defs>');
      out.push('<g clip-path="url(#' + root.id + '-clip)">');
      var shown = 0;
      ops.forEach(function (op, i) {
        if (op[1] > view.b || end(op) < view.a) { return; }
        shown += 1;
        var flags = op[6], pending = flags & 1, failed = flags & 2;
        var core = revealed && (flags & 4), stuck = revealed && (flags & 8);
        var x0 = x(op[1]), x1 = Math.max(x(end(op)), x0 + 2), cy = op[0] * LANE + LANE / 2;
        var cls = "lz-op" + (core ? " lz-core" : "") + (stuck ? " lz-stuck" : "") +
          (selected === i ? " lz-selected" : "");
        out.push('<rect class="' + cls + '" data-op="' + i + '" x="' + x0.toFixed(1) +
                 '" y="' + (cy - BAR / 2) + '" width="' + (x1 - x0).toFixed(1) + '" height="' +
                 BAR + '" rx="' + (pending ? 0 : 3) + '" fill="' + (failed ? "#eceff1" : KIND[op[3]]) +
                 '" fill-opacity="' + (pending ? 0.45 : 0.9) + '" stroke="' +
                 (core || stuck ? "#c62828" : "#546e7a") + '" stroke-width="' +
                 (core ? 2.6 : stuck ? 1.8 : 0.7) + '"' +
                 (pending || stuck && !core ? ' stroke-dasharray="4 3"' : "") +
                 "><title>" + esc(op[5]) + "</title></rect>");
        if (x1 - x0 > 6.2 * op[4].length + 6) {
          out.push('<text x="' + (x0 + 4).toFixed(1) + '" y="' + (cy + 4) +
                   '" font-size="10.5" fill="#263238" pointer-events="none"' +
                   (failed ? ' text-decoration="line-through"' : "") + ">" + esc(op[4]) +
                   "</text>");
        }
      });
      if (revealed) {
        var inView = points.filter(function (p) { return p[1] >= view.a && p[1] <= view.b; });
        var lastX = {}, dense = inView.length > D.lanes.length * (W - LEFT - RIGHT) / 28;
        points.forEach(function (p, k) {
          var op = ops[p[0]];
          if (p[1] < view.a || p[1] > view.b) { return; }
          var px = x(p[1]), cy = op[0] * LANE + LANE / 2;
          var gap = px - (op[0] in lastX ? lastX[op[0]] : -1e9);
          lastX[op[0]] = px;
          out.push('<g class="lz-pt" data-k="' + k + '"><line x1="' + px.toFixed(1) + '" x2="' +
                   px.toFixed(1) + '" y1="' + (cy - BAR / 2) + '" y2="' + (cy + BAR / 2) +
                   '" stroke="#263238"/><circle cx="' + px.toFixed(1) + '" cy="' +
                   (cy - BAR / 2 - 3) + '" r="' + (dense ? 3 : k >= 99 ? 8.5 : 6.5) + '" fill="' +
                   (D.complete ? "#263238" : "#90a4ae") + '" stroke="#fff"><title>' +
                   esc((k + 1) + ". " + op[5] + " → state " + p[2]) + "</title></circle>");
          if (!dense && gap > 12) {
            out.push('<text x="' + px.toFixed(1) + '" y="' + (cy - BAR / 2) +
                     '" font-size="' + (k >= 99 ? 6.5 : 8) +
                     '" fill="#fff" text-anchor="middle" pointer-events="none">' +
                     (k + 1) + "</text>");
          }
          if (!dense && gap > 60) {
            out.push('<text class="lz-state" x="' + (px + 8).toFixed(1) + '" y="' +
                     (cy - BAR / 2 - 1) + '" font-size="9" fill="#455a64">' +
                     esc(p[2].length > 14 ? p[2].slice(0, 13) + "…" : p[2]) + "</text>");
          }
        });
      }
      out.push("</g>");
      var axisY = D.lanes.length * LANE + 4;
      out.push('<line x1="' + LEFT + '" x2="' + (W - RIGHT) + '" y1="' + axisY + '" y2="' +
               axisY + '" stroke="#90a4ae"/><text x="4" y="' + (axisY + 14) +
               '" font-size="10" fill="#90a4ae">time →</text>');
      ticks(view.a, view.b, Math.max(2, Math.floor((W - LEFT) / 90))).forEach(function (t) {
        out.push('<text x="' + x(t).toFixed(1) + '" y="' + (axisY + 14) +
                 '" font-size="10" fill="#90a4ae" text-anchor="middle">' + fmt(t) + "</text>");
      });
      out.push("</svg>");
      plot.innerHTML = out.join("");
      root.dataset.window = fmt(view.a) + " " + fmt(view.b);
      root.dataset.visible = String(shown);
      status.textContent = "time " + fmt(view.a) + " – " + fmt(view.b) + " · " + shown + " of " +
        ops.length + " operations shown" + (view.b - view.a < span * 0.999 ?
        " · zoom ×" + fmt(span / (view.b - view.a)) : "");
      var room = span - (view.b - view.a);
      slider.disabled = room <= 0;
      slider.value = room <= 0 ? 0 : Math.round(1000 * (view.a - D.t0) / room);
    }

    function describe(i) {
      var op = ops[i], k = pointOf[i], text = op[5];
      if (revealed && k !== undefined) {
        text += "\n" + (D.complete ? "takes effect " : "placed ") + "#" + (k + 1) + " at " +
          fmt(points[k][1]) + "; state after: " + points[k][2];
      } else if (revealed && op[6] & 8) {
        text += "\ncould not come next";
      }
      info.textContent = text;
    }

    function jumpToError() {
      if (!D.error) { return; }
      var pad = Math.max((D.error[1] - D.error[0]) * 0.25, span / 1e4);
      setView(D.error[0] - pad, D.error[1] + pad);
      root.classList.remove("lz-flash");
      void root.offsetWidth;
      root.classList.add("lz-flash");
    }

    function reveal() {
      revealed = true;
      root.querySelectorAll(".lz-evidence").forEach(function (e) { e.hidden = false; });
      draw();
    }

    root.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-lz]");
      if (b && root.contains(b)) {
        var a = b.getAttribute("data-lz");
        if (a === "in") { zoom(0.5); } else if (a === "out") { zoom(2); }
        else if (a === "fit") { setView(D.t0, D.t1); } else if (a === "left") { pan(-0.5); }
        else if (a === "right") { pan(0.5); } else if (a === "error") { jumpToError(); }
        return;
      }
      var r = ev.target.closest("rect.lz-op");
      if (r) { selected = +r.getAttribute("data-op"); describe(selected); draw(); }
    });
    plot.addEventListener("mouseover", function (ev) {
      var r = ev.target.closest("rect.lz-op");
      if (r) { describe(+r.getAttribute("data-op")); }
    });
    plot.addEventListener("wheel", function (ev) {
      if (!(ev.ctrlKey || ev.metaKey || ev.shiftKey)) { return; }  // plain wheel scrolls the page
      ev.preventDefault();
      if (ev.shiftKey) { pan((ev.deltaY || ev.deltaX) > 0 ? 0.2 : -0.2); return; }
      var box = plot.getBoundingClientRect(), W = width();
      var at = view.a + (ev.clientX - box.left - LEFT) / (W - LEFT - RIGHT) * (view.b - view.a);
      zoom(ev.deltaY > 0 ? 1.25 : 0.8, Math.max(view.a, Math.min(view.b, at)));
    }, {passive: false});
    var drag = null;
    plot.addEventListener("mousedown", function (ev) { drag = {x: ev.clientX, a: view.a, b: view.b}; });
    window.addEventListener("mouseup", function () { drag = null; });
    plot.addEventListener("mousemove", function (ev) {
      if (!drag || !(ev.buttons & 1)) { return; }
      var dt = (drag.x - ev.clientX) / (width() - LEFT - RIGHT) * (drag.b - drag.a);
      if (Math.abs(ev.clientX - drag.x) > 3) { setView(drag.a + dt, drag.b + dt); }
    });
    slider.addEventListener("input", function () {
      var w = view.b - view.a, a = D.t0 + (+slider.value / 1000) * (span - w);
      setView(a, a + w);
    });
    root.addEventListener("keydown", function (ev) {
      var keys = {"+": function () { zoom(0.5); }, "=": function () { zoom(0.5); },
                  "-": function () { zoom(2); }, "ArrowLeft": function () { pan(-0.25); },
                  "ArrowRight": function () { pan(0.25); }, "e": jumpToError};
      if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
    });
    root.addEventListener("lz-reveal", reveal);
    var drawnWidth = width();
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (width() !== drawnWidth) { drawnWidth = width(); draw(); }
      }).observe(plot);
    }
    draw();
  }

  window.ddia10HistoryViewer = window.ddia10HistoryViewer || viewer;
})();
