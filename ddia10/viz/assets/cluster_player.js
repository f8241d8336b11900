// Draws a frame of the static cluster player (ddia10/viz/static.py, whose
// docstring documents the data D and its frames).
function (root, D) {
  var S = D.s;
  var frameEl = root.querySelector(".ddia10-frame");
  var tableEl = root.querySelector(".ddia10-table");
  var eventsEl = root.querySelector(".ddia10-events");
  var diagramBox = root.querySelector(".ddia10-diagram");
  var diagram = root.querySelectorAll(".ddia10-diagram [data-i]");
  var panels = root.querySelectorAll(".ddia10-panel-body"), panelShown = [];
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }
  function el(name, attrs, body) {
    var out = "<" + name;
    for (var a in attrs) {
      if (attrs[a] !== null && attrs[a] !== undefined) {
        out += " " + a + '="' + esc(attrs[a]) + '"';
      }
    }
    return out + (body ? ">" + body + "</" + name + ">" : "/>");
  }
  function r1(x) { return Math.round(x * 10) / 10; }
  function svg(f) {
    var out = [], nodes = D.nodes, broken = {};
    f.b.forEach(function (p) { broken[p[0] + "," + p[1]] = true; });
    for (var i = 0; i < nodes.length; i++) {
      for (var j = i + 1; j < nodes.length; j++) {
        if (!f.n[i] || !f.n[j]) { continue; }
        var a = nodes[i], b = nodes[j];
        if (broken[i + "," + j] || broken[j + "," + i]) {
          var mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2;
          out.push(el("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: D.drop,
            "stroke-width": 1.5, "stroke-dasharray": "6 5", opacity: 0.7}));
          out.push(el("path", {d: "M" + r1(mx - 6) + "," + r1(my - 6) + "l12,12m0,-12l-12,12",
            stroke: D.drop, "stroke-width": 2.5}));
        } else {
          out.push(el("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: D.muted,
            "stroke-width": 1.5, opacity: 0.6}));
        }
      }
    }
    nodes.forEach(function (p, i) {
      var n = f.n[i];
      if (!n) { return; }
      var role = S[n[0]], cap = S[n[1]], crashed = role === "crashed";
      out.push(el("circle", {cx: p[0], cy: p[1], r: D.r, fill: D.roles[role],
        stroke: crashed ? D.drop : D.ink, "stroke-width": crashed ? 2 : 1.2,
        "stroke-dasharray": crashed || n[2] ? "5 3" : null}));
      out.push(el("text", {x: p[0], y: p[1] + 5, "text-anchor": "middle", "font-size": 15,
        "font-weight": "bold", fill: crashed ? D.muted : D.ink}, esc(p[2])));
      out.push(el("text", {x: p[0], y: p[1] + D.r + 14, "text-anchor": "middle", "font-size": 11,
        fill: crashed ? D.drop : D.ink}, esc(role + (cap ? " \u00b7 " + cap : ""))));
    });
    f.m.forEach(function (m) {
      var label = S[m[2]], w = 5.8 * label.length + 10, dx = m[4], dy = m[5];
      out.push(el("rect", {x: r1(m[0] - w / 2), y: r1(m[1] - 8), width: w, height: 16, rx: 8,
        fill: D.labels[label], stroke: D.ink, "stroke-width": 0.8,
        "stroke-dasharray": m[3] ? "3 2" : null}));
      out.push(el("text", {x: m[0], y: r1(m[1] + 4), "text-anchor": "middle", "font-size": 10,
        fill: D.ink}, esc(label)));
      var reach = Math.min(w / 2 / (Math.abs(dx) || 1e-9), 8 / (Math.abs(dy) || 1e-9)) + 2;
      var ax = m[0] + dx * reach, ay = m[1] + dy * reach, px = -dy, py = dx;
      out.push(el("path", {d: "M" + r1(ax + dx * 6) + "," + r1(ay + dy * 6) + "L" +
        r1(ax + px * 4) + "," + r1(ay + py * 4) + "L" +
        r1(ax - px * 4) + "," + r1(ay - py * 4) + "Z",
        fill: D.ink}));
    });
    return '<svg viewBox="0 0 ' + D.w + " " + D.h + '" width="' + D.w + '" height="' + D.h +
      '" font-family="' + esc(D.font) + '" role="img">' + out.join("") + "</svg>";
  }
  function pinNames() {
    var g = diagramBox.querySelector(".ddia10-st-names");
    if (g) { g.setAttribute("transform", "translate(" + diagramBox.scrollLeft + ",0)"); }
  }
  if (diagramBox) { diagramBox.addEventListener("scroll", pinNames); }
  return function (k) {
    var f = D.frames[k];
    frameEl.innerHTML = svg(f);
    var head = "<tr>" + D.cols.map(function (c) {
      return "<th>" + esc(c) + "</th>";
    }).join("") + "</tr>";
    tableEl.innerHTML = head + f.r.map(function (r) {
      return "<tr>" + r.map(function (c) {
        return "<td>" + esc(S[c]) + "</td>";
      }).join("") + "</tr>";
    }).join("");
    eventsEl.innerHTML = f.e.map(function (e) {
      return '<div class="e' + e[1] + '">' + esc(S[e[0]]) + "</div>";
    }).join("");
    for (var p = 0; p < panels.length; p++) {  // a panel changes far less often than a frame
      if (panelShown[p] === f.p[p]) { continue; }
      panelShown[p] = f.p[p];
      panels[p].innerHTML = D.pf[f.p[p]].map(function (t) { return S[t]; }).join("");
    }
    for (var i = 0; i < diagram.length; i++) {
      diagram[i].style.display = +diagram[i].getAttribute("data-i") < f.k ? "" : "none";
    }
    if (diagramBox) {  // keep the present moment in sight
      var sv = diagramBox.querySelector("svg"), left = +sv.getAttribute("data-left");
      var span = sv.width.baseVal.value - left - +sv.getAttribute("data-right");
      var t0 = +sv.getAttribute("data-t0"), t1 = +sv.getAttribute("data-t1");
      var x = left + span * (f.t - t0) / (t1 - t0);
      diagramBox.scrollLeft = Math.max(0, x - diagramBox.clientWidth * 0.75);
      pinNames();
    }
    return "  \u00b7  t = " + (Math.round(f.t * 10) / 10) + " ms";
  };
}
