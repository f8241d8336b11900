// Draws a frame of the static cluster player. D is a PlayerData and each of
// D.frames a Frame: their keys, and the positions inside the small records
// (Place, FrameNode, FramePill, FrameEvent), are the tables in
// ddia10/viz/static.py.
function (root, D) {
  var S = D.strings;
  var frameEl = root.querySelector(".ddia10-frame");
  var tableEl = root.querySelector(".ddia10-table");
  var eventsEl = root.querySelector(".ddia10-events");
  var timersEl = root.querySelector(".ddia10-timers");
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
  function links(f, out) {
    var places = D.places, broken = {};
    f.broken.forEach(function (pair) { broken[pair[0] + "," + pair[1]] = true; });
    for (var i = 0; i < places.length; i++) {
      for (var j = i + 1; j < places.length; j++) {
        if (!f.nodes[i] || !f.nodes[j]) { continue; }
        var a = places[i], b = places[j];  // [x, y, name]
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
  }
  function nodes(f, out) {
    D.places.forEach(function (place, i) {
      var node = f.nodes[i];  // [role, caption, cut, label_dx, label_dy, labelled]
      if (!node) { return; }
      var x = place[0], y = place[1], name = place[2];
      var role = S[node[0]], caption = S[node[1]], cut = node[2];
      var crashed = role === "crashed";
      out.push(el("circle", {cx: x, cy: y, r: D.node_radius, fill: D.role_colors[role],
        stroke: crashed ? D.drop : D.ink, "stroke-width": crashed ? 2 : 1.2,
        "stroke-dasharray": crashed || cut ? "5 3" : null}));
      rings(f, i, x, y, out);
      out.push(el("text", {x: x, y: y + 5, "text-anchor": "middle", "font-size": 15,
        "font-weight": "bold", fill: crashed ? D.muted : D.ink}, esc(name)));
      if (node[5]) {  // the words about the node, where the geometry found room
        var dx = node[3];
        out.push(el("text", {x: r1(x + dx), y: r1(y + node[4]),
          "text-anchor": dx > 0 ? "start" : dx < 0 ? "end" : "middle",
          "font-size": 11, fill: crashed ? D.drop : D.ink},
          esc(role + (caption ? " \u00b7 " + caption : ""))));
      }
    });
  }
  function arc(x, y, r, left) {  // mirrors arc_path in ddia10/viz/cluster.py
    if (left >= 0.999) {
      return "M" + r1(x) + "," + r1(y - r) + "a" + r1(r) + "," + r1(r) + " 0 1,1 0," +
        r1(2 * r) + "a" + r1(r) + "," + r1(r) + " 0 1,1 0," + r1(-2 * r);
    }
    var angle = 2 * Math.PI * left;
    return "M" + r1(x) + "," + r1(y - r) + "A" + r1(r) + "," + r1(r) + " 0 " +
      (left > 0.5 ? 1 : 0) + ",1 " + r1(x + r * Math.sin(angle)) + "," +
      r1(y - r * Math.cos(angle));
  }
  function rings(f, i, x, y, out) {
    f.rings.forEach(function (ring) {  // [node, level, left, name, ms]
      if (ring[0] !== i) { return; }
      var r = D.node_radius + D.ring_gap * (ring[1] + 1), name = S[ring[3]];
      out.push(el("circle", {cx: x, cy: y, r: r, fill: "none", stroke: D.track,
        "stroke-width": 2.5}));
      out.push(el("path", {d: arc(x, y, r, ring[2]), fill: "none",
        stroke: D.timer_colors[name] || D.muted, "stroke-width": 2.5,
        "class": "ddia10-ring", "data-timer": name}));
    });
  }
  function pills(f, out) {
    f.messages.forEach(function (pill) {  // [x, y, label, duplicate, dx, dy]
      var x = pill[0], y = pill[1], label = S[pill[2]], duplicate = pill[3];
      var dx = pill[4], dy = pill[5], w = 5.8 * label.length + 10;
      out.push(el("rect", {x: r1(x - w / 2), y: r1(y - 8), width: w, height: 16, rx: 8,
        fill: D.message_colors[label], stroke: D.ink, "stroke-width": 0.8,
        "stroke-dasharray": duplicate ? "3 2" : null}));
      out.push(el("text", {x: x, y: r1(y + 4), "text-anchor": "middle", "font-size": 10,
        fill: D.ink}, esc(label)));
      var reach = Math.min(w / 2 / (Math.abs(dx) || 1e-9), 8 / (Math.abs(dy) || 1e-9)) + 2;
      var ax = x + dx * reach, ay = y + dy * reach, px = -dy, py = dx;
      out.push(el("path", {d: "M" + r1(ax + dx * 6) + "," + r1(ay + dy * 6) + "L" +
        r1(ax + px * 4) + "," + r1(ay + py * 4) + "L" +
        r1(ax - px * 4) + "," + r1(ay - py * 4) + "Z",
        fill: D.ink}));
    });
  }
  function svg(f) {
    var out = [];
    links(f, out);
    nodes(f, out);
    pills(f, out);
    return '<svg viewBox="0 0 ' + D.width + " " + D.height + '" width="' + D.width +
      '" height="' + D.height + '" font-family="' + esc(D.font) + '" role="img">' +
      out.join("") + "</svg>";
  }
  function pinNames() {
    var g = diagramBox.querySelector(".ddia10-st-names");
    if (g) { g.setAttribute("transform", "translate(" + diagramBox.scrollLeft + ",0)"); }
  }
  if (diagramBox) { diagramBox.addEventListener("scroll", pinNames); }
  return function (k) {
    var f = D.frames[k];
    frameEl.innerHTML = svg(f);
    var head = "<tr>" + D.columns.map(function (c) {
      return "<th>" + esc(c) + "</th>";
    }).join("") + "</tr>";
    tableEl.innerHTML = head + f.rows.map(function (row) {
      return "<tr>" + row.map(function (c) {
        return "<td>" + esc(S[c]) + "</td>";
      }).join("") + "</tr>";
    }).join("");
    timersEl.innerHTML = f.rings.map(function (ring) {  // [node, level, left, name, ms]
      var name = S[ring[3]];
      return '<div><i style="border-color:' + esc(D.timer_colors[name] || D.muted) + '"></i>' +
        esc(D.places[ring[0]][2] + " " + name + ": " + ring[4] + " ms left") + "</div>";
    }).join("");
    eventsEl.innerHTML = f.recent.map(function (line) {  // [text, tone]
      return '<div class="e' + line[1] + '">' + esc(S[line[0]]) + "</div>";
    }).join("");
    for (var p = 0; p < panels.length; p++) {  // a panel changes far less often than a frame
      if (panelShown[p] === f.panels[p]) { continue; }
      panelShown[p] = f.panels[p];
      panels[p].innerHTML = D.fragments[f.panels[p]].map(function (t) { return S[t]; }).join("");
    }
    for (var i = 0; i < diagram.length; i++) {
      diagram[i].style.display = +diagram[i].getAttribute("data-i") < f.upto ? "" : "none";
    }
    if (diagramBox) {  // keep the present moment in sight
      var sv = diagramBox.querySelector("svg"), left = +sv.getAttribute("data-left");
      var span = sv.width.baseVal.value - left - +sv.getAttribute("data-right");
      var t0 = +sv.getAttribute("data-t0"), t1 = +sv.getAttribute("data-t1");
      var x = left + span * (f.time - t0) / (t1 - t0);
      diagramBox.scrollLeft = Math.max(0, x - diagramBox.clientWidth * 0.75);
      pinNames();
    }
    return "  \u00b7  t = " + (Math.round(f.time * 10) / 10) + " ms";
  };
}
